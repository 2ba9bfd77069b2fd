using SimMim.Config;
using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>Options and config values that used to reach the run are refused by the trainers' constructors, before
/// any folder, data set or model exists.</summary>
public class RunOptionChecksTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void PretrainingRefusesEpochsOfNoSteps(int steps)
    {
        string output = PretrainTestConfigs.TempDir();

        var e = Assert.Throws<ConfigException>(() =>
            new Pretrainer(PretrainTestConfigs.Swin(output), new PretrainOptions(MaxStepsPerEpoch: steps)));

        Assert.Equal($"--steps-per-epoch must be at least 1, got {steps}", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void ANegativeLearningRateIsAConfigErrorNotAnOptimizerException()
    {
        SimMimConfig config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir());
        config = config with { Train = config.Train with { BaseLr = -1.0 } };

        var e = Assert.Throws<ConfigException>(() => new Pretrainer(config));

        Assert.Equal("invalid config: TRAIN.BASE_LR must be at least 0, got -1", e.Message);
    }

    [Fact]
    public void FineTuningAndTheProbeRefuseOptionsOutOfRange()
    {
        SimMimConfig config = FinetuneTestConfigs.Vit(PretrainTestConfigs.TempDir());

        Assert.Equal("--eval-freq must be at least 1, got 0",
            Assert.Throws<ConfigException>(() => new FineTuner(config, new FinetuneOptions(EvalFrequency: 0))).Message);
        Assert.Equal("--steps-per-epoch must be at least 1, got 0",
            Assert.Throws<ConfigException>(() => new FineTuner(config, new FinetuneOptions(MaxStepsPerEpoch: 0))).Message);
        Assert.Equal("--holdout must be in [0, 1) (0 = the validation split), got 1",
            Assert.Throws<ConfigException>(() => new LinearProbe(config, new LinearProbeOptions(Holdout: 1))).Message);
        Assert.Equal("--block must be at least 1, got 0",
            Assert.Throws<ConfigException>(() => new LinearProbe(config, new LinearProbeOptions(Block: 0))).Message);
    }
}
