using SimMim.Config;

namespace SimMim.Tests.Config;

public class ValueRangeTests
{
    [Theory]
    [InlineData(0.0, false)]
    [InlineData(1e-9, true)]
    [InlineData(1.0, true)]
    [InlineData(1.0000001, false)]
    [InlineData(double.NaN, false)]
    [InlineData(double.PositiveInfinity, false)]
    public void AnOpenClosedIntervalKeepsItsEnds(double value, bool inside)
    {
        Assert.Equal(inside, ValueRange.Between(0, 1, minExclusive: true).Contains(value));
    }

    [Fact]
    public void CountsAreWholeNumbersAndUnboundedRangesRefuseInfinity()
    {
        var count = ValueRange.Count(1);
        Assert.True(count.Contains(2147483647));
        Assert.False(count.Contains(1.5));
        Assert.False(count.Contains(0));
        Assert.False(ValueRange.AtLeast(0).Contains(double.PositiveInfinity));
        Assert.False(ValueRange.AtLeast(0).Contains(double.NaN));
    }

    [Theory]
    [InlineData("at least 1", 1, null, null)]
    [InlineData("from 0 to 64 (0 = off)", 0, 64, "0 = off")]
    [InlineData("3 (RGB)", 3, 3, "RGB")]
    public void CountsAreDescribedInWords(string expected, int min, int? max, string? note)
    {
        Assert.Equal(expected, ValueRange.Count(min, max, note).Describe());
    }

    [Fact]
    public void TheMessageNamesTheSettingTheRangeAndTheValue()
    {
        Assert.Null(ValueRange.Positive().Check("TRAIN.OPTIMIZER.EPS", 1e-8));
        Assert.Equal("TRAIN.OPTIMIZER.EPS must be greater than 0, got -1", ValueRange.Positive().Check("TRAIN.OPTIMIZER.EPS", -1));
        Assert.Equal("--holdout must be in [0, 1), got 1", ValueRange.Between(0, 1, maxExclusive: true).Check("--holdout", 1));
        var e = Assert.Throws<ConfigException>(() => ValueRange.AtLeast(0).Require("TRAIN.BASE_LR", -1));
        Assert.Equal("TRAIN.BASE_LR must be at least 0, got -1", e.Message);
    }
}
