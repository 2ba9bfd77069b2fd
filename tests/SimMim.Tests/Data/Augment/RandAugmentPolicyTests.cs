using SimMim.Data.Augment;

namespace SimMim.Tests.Data.Augment;

public class RandAugmentPolicyTests
{
    [Fact]
    public void TheReferenceStringIsMagnitudeNineWithNoiseAndTheIncreasingOps()
    {
        var policy = RandAugmentPolicy.Parse("rand-m9-mstd0.5-inc1");
        Assert.Equal(9, policy.Magnitude);
        Assert.Equal(2, policy.NumOps);
        Assert.Equal(0.5, policy.MagnitudeStd);
        Assert.Equal(10.0, policy.UpperBound);
        Assert.Equal(0.5, policy.Probability);
        Assert.True(policy.Increasing);
        Assert.Equal(
            ["AutoContrast", "Equalize", "Invert", "Rotate", "PosterizeIncreasing", "SolarizeIncreasing", "SolarizeAdd",
             "ColorIncreasing", "ContrastIncreasing", "BrightnessIncreasing", "SharpnessIncreasing", "ShearX", "ShearY",
             "TranslateXRel", "TranslateYRel"],
            policy.Ops.Select(o => o.ToString()));
    }

    [Fact]
    public void EverySectionIsReadInAnyOrderAndDefaultsAreTimms()
    {
        var policy = RandAugmentPolicy.Parse("rand-p0.7-inc0-mmax15-mstd101-n3-m7");
        Assert.Equal(7, policy.Magnitude);
        Assert.Equal(3, policy.NumOps);
        Assert.Equal(double.PositiveInfinity, policy.MagnitudeStd);   // above 100: uniform sampling
        Assert.Equal(15.0, policy.UpperBound);
        Assert.Equal(0.7, policy.Probability);
        Assert.False(policy.Increasing);
        Assert.Contains(AugmentOp.Posterize, policy.Ops);
        Assert.DoesNotContain(AugmentOp.PosterizeIncreasing, policy.Ops);

        var defaults = RandAugmentPolicy.Parse("rand");
        Assert.Equal((10, 2, 0.0, 10.0, 0.5, false),
            (defaults.Magnitude, defaults.NumOps, defaults.MagnitudeStd, defaults.UpperBound, defaults.Probability, defaults.Increasing));
        Assert.Equal(10.0, RandAugmentPolicy.Parse("rand-mmax0").UpperBound);   // timm: `magnitude_max or 10`
        Assert.Equal(15, defaults.Ops.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData(null)]
    public void EmptyOrNoneTurnsItOff(string? value)
    {
        Assert.Null(RandAugmentPolicy.FromConfig(value));
    }

    [Theory]
    [InlineData("original-mstd0.5", "only RandAugment")]
    [InlineData("augmix-m5", "only RandAugment")]
    [InlineData("Rand-m9", "only RandAugment")]
    [InlineData("rand-m9-x3", "unknown section 'x3'")]
    [InlineData("rand-tweights", "section 'tweights' has no number")]
    [InlineData("rand-m", "section 'm' has no number")]
    [InlineData("rand--m9", "section '' has no number")]
    [InlineData("rand-m9.5", "m needs a whole number, got '9.5'")]
    [InlineData("rand-mstd0.5.1", "mstd needs a number")]
    [InlineData("rand-m9-m8", "'m' is given twice")]
    [InlineData("rand-inc2", "inc must be 0 or 1")]
    [InlineData("rand-p1.5", "p must be in [0, 1]")]
    public void AnythingElseIsAOneLineErrorNamingTheKey(string value, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => RandAugmentPolicy.FromConfig(value));
        Assert.StartsWith($"AUG.AUTO_AUGMENT '{value}': ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
