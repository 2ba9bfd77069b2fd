using SimMim.Config;
using SimMim.Models.Layers;
using SimMim.Training;

namespace SimMim.Tests.Training;

public class MixedPrecisionTests
{
    [Theory]
    [InlineData("", true, Precision.Fp32)]
    [InlineData("O0", true, Precision.Fp32)]
    [InlineData("O1", true, Precision.Bf16)]
    [InlineData("O2", true, Precision.Bf16)]
    [InlineData("O1", false, Precision.Fp32)]
    [InlineData("O0", false, Precision.Fp32)]
    public void OptLevelsMapToPrecisionByWhatTheCpuCanDo(string level, bool cpuHasBf16, Precision expected)
    {
        var choice = MixedPrecision.Resolve(level, null, cpuHasBf16);
        Assert.Equal(expected, choice.Precision);
        Assert.Equal(level is "O1" or "O2" && !cpuHasBf16, choice.FellBack);
        Assert.DoesNotContain('\n', choice.Reason);
        if (choice.FellBack)
            Assert.Contains("no native bf16", choice.Reason);
    }

    [Theory]
    [InlineData("O0", Precision.Bf16, false)]
    [InlineData("O1", Precision.Fp32, true)]
    [InlineData("", Precision.Bf16, true)]
    public void ARequestedPrecisionOverridesTheConfig(string level, Precision requested, bool cpuHasBf16)
    {
        var choice = MixedPrecision.Resolve(level, requested, cpuHasBf16);
        Assert.Equal(requested, choice.Precision);
        Assert.False(choice.FellBack);
        Assert.Contains("--precision", choice.Reason);
    }

    [Fact]
    public void AnUnknownOptLevelIsAConfigErrorNamingTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => MixedPrecision.Resolve("O3", null, true));
        Assert.Contains("AMP_OPT_LEVEL", e.Message);
        var v = Assert.Throws<ConfigException>(() =>
            ConfigValidator.Validate(new SimMimConfig { AmpOptLevel = "fp16" }, ConfigStage.Pretrain));
        Assert.Contains("AMP_OPT_LEVEL must be '', O0, O1 or O2, got 'fp16'", v.Message);
        ConfigValidator.Validate(new SimMimConfig { AmpOptLevel = "O1" }, ConfigStage.Pretrain);
    }

    [Theory]
    [InlineData("fp32", Precision.Fp32)]
    [InlineData("BF16", Precision.Bf16)]
    [InlineData("bfloat16", Precision.Bf16)]
    [InlineData("fp16", null)]
    public void PrecisionNamesParse(string text, Precision? expected)
    {
        Assert.Equal(expected, PrecisionExtensions.Parse(text));
        if (expected is Precision p)
            Assert.Equal(text.ToLowerInvariant() == "bfloat16" ? "bf16" : text.ToLowerInvariant(), p.Name());
    }
}
