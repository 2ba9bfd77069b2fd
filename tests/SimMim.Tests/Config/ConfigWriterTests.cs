using SimMim.Config;
using SimMim.Models.Swin;

namespace SimMim.Tests.Config;

public class ConfigWriterTests
{
    private static SimMimConfig RoundTrip(SimMimConfig config)
    {
        using var dir = new TempConfigDir();
        return ConfigLoader.Load(dir.Write("config.yaml", ConfigWriter.ToYaml(config)));
    }

    public static TheoryData<string> ReferenceNames => ConfigLoaderTests.ReferenceNames;

    [Theory]
    [MemberData(nameof(ReferenceNames))]
    public void ReferenceConfigsRoundTripExactly(string name)
    {
        SimMimConfig config = ConfigLoader.Load(ConfigTestFiles.Reference(name));

        ConfigTestFiles.AssertSameConfig(config, RoundTrip(config));
    }

    [Fact]
    public void AwkwardValuesRoundTripExactly()
    {
        SimMimConfig config = ConfigLoader.Load(null) with
        {
            Tag = "it's: a [tag] # not a comment",
            Output = "multi\nline\tpath\\x",
            Pretrained = "",
            Model = new ModelConfig { Swin = new SwinConfig { QkScale = 0.1 + 0.2, Depths = [1] } },
            Train = new TrainConfig { BaseLr = 1.0 / 3.0, MinLr = 1e-300, WarmupLr = 4, Optimizer = new OptimizerConfig { Betas = [] } },
            Aug = new AugConfig { CutmixMinmax = [0.3, 1.0] },
        };

        SimMimConfig back = RoundTrip(config);

        ConfigTestFiles.AssertSameConfig(config, back);
        Assert.Equal(BitConverter.DoubleToInt64Bits(1.0 / 3.0), BitConverter.DoubleToInt64Bits(back.Train.BaseLr));
    }

    [Fact]
    public void UsesReferenceKeyNamesAndYacsReadableScalars()
    {
        string yaml = ConfigWriter.ToYaml(ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_base__img192_window6__800ep")));

        Assert.Contains("\n  LR_SCHEDULER:\n    NAME: 'multistep'\n", yaml);
        Assert.Contains("    MULTISTEPS: [700]\n", yaml);
        Assert.Contains("    DEPTHS: [2, 2, 18, 2]\n", yaml);
        Assert.Contains("  MLP_RATIO: 4.0\n", yaml);     // PyYAML would read "4" as an int, which yacs refuses for a float
        Assert.Contains("  PIN_MEMORY: True\n", yaml);
        Assert.Contains("    QK_SCALE: null\n", yaml);
        Assert.Contains("  WARMUP_LR: 5e-07\n", yaml);
        Assert.StartsWith("BASE: ['']\nDATA:\n  BATCH_SIZE: 128\n", yaml);
        Assert.EndsWith("PRETRAINED: ''\n", yaml);
    }
}
