using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>
/// The linear probe runs on the same loop as pretraining and fine-tuning, so it checkpoints and resumes like them: a
/// probe stopped mid-run (a signal, or a crash after a SAVE_STEPS checkpoint) and started again ends with the same
/// per-step losses and the same classifier as one that never stopped.
/// </summary>
[Collection(SerialTorchRandomness.Name)]
public class LinearProbeResumeTests
{
    private static SimMimConfig Config(string output, int saveSteps = 0)
    {
        var config = FinetuneTestConfigs.Vit(output, epochs: 3);
        return config with { Train = config.Train with { BaseLr = 0.05, WeightDecay = 0 }, SaveSteps = saveSteps };
    }

    private static LinearProbeResult Probe(SimMimConfig config, bool augment, ITrainingObserver observer,
        CancellationToken cancellation = default) =>
        new LinearProbe(config, new LinearProbeOptions(Augment: augment, MaxStepsPerEpoch: 4), observer)
            .Run(new ColourDataset(256, seed: 1), new ColourDataset(64, seed: 2), cancellation);

    [Theory]
    [InlineData(false)]   // cached features, shuffled per epoch
    [InlineData(true)]    // features of augmented views, recomputed per step
    public void AnInterruptedProbeSavesWhereItStoppedAndResumesToTheSameClassifier(bool augment)
    {
        var straight = new RunRecorder();
        var a = Probe(Config(FinetuneTestConfigs.TempDir()), augment, straight);

        var config = Config(FinetuneTestConfigs.TempDir());
        using var stop = new CancellationTokenSource();
        var first = new RunRecorder(step =>
        {
            if (step.GlobalStep == 6) stop.Cancel();
        });
        Probe(config, augment, first, stop.Token);
        string runDir = PretrainTestConfigs.RunDir(config);
        Assert.Equal(6, first.Losses.Count);
        Assert.True(File.Exists(Path.Combine(runDir, LinearProbe.CheckpointFolder, CheckpointFiles.MidEpoch(1, 2))));

        var second = new RunRecorder();
        var b = Probe(config, augment, second);

        Assert.EndsWith(CheckpointFiles.MidEpoch(1, 2), second.Start!.ResumedFrom);
        Assert.Equal(12, straight.Losses.Count);
        Assert.Equal(straight.Losses, first.Losses.Concat(second.Losses));        // exact, step by step
        Assert.Equal(a.EpochLosses.Skip(1), b.EpochLosses);                        // epoch 1's mean includes steps 5-6
        Assert.Equal(a.Evaluations.Skip(1).Select(e => e.Top1), b.Evaluations.Select(e => e.Top1));
        Assert.Equal(a.MaxAccuracy, b.MaxAccuracy);
        double difference = PretrainTestConfigs.MaxWeightDifference(a.Checkpoint, b.Checkpoint);
        Assert.True(difference <= 1e-6, $"final classifiers differ by {difference}");
    }

    [Fact]
    public void AProbeResumedFromAMidEpochCheckpointMatchesAStraightRun()
    {
        // A crash after step 7 (epoch 1, step 3): a run folder holding only the checkpoint written there.
        var straightConfig = Config(FinetuneTestConfigs.TempDir(), saveSteps: 1);
        var straight = new RunRecorder();
        var a = Probe(straightConfig, augment: false, straight);

        var resumedConfig = Config(FinetuneTestConfigs.TempDir(), saveSteps: 1);
        string resumedDir = Path.Combine(PretrainTestConfigs.RunDir(resumedConfig), LinearProbe.CheckpointFolder);
        Directory.CreateDirectory(resumedDir);
        string midEpoch = CheckpointFiles.MidEpoch(1, 3);
        File.Copy(Path.Combine(PretrainTestConfigs.RunDir(straightConfig), LinearProbe.CheckpointFolder, midEpoch),
            Path.Combine(resumedDir, midEpoch));
        var resumed = new RunRecorder();
        var b = Probe(resumedConfig, augment: false, resumed);

        Assert.Equal(straight.Losses.Where(kv => kv.Key > 7), resumed.Losses);
        Assert.Equal(a.EpochLosses.Skip(1), b.EpochLosses);
        Assert.True(PretrainTestConfigs.MaxWeightDifference(a.Checkpoint, b.Checkpoint) <= 1e-6);
    }
}
