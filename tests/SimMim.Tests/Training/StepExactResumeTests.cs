using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>
/// A run that stops (a crash, or a signal) and resumes from its checkpoint gives the same per-step losses, the same
/// epoch means and the same final weights as one that never stopped: model, optimizer, schedule, the position in the
/// epoch and every random draw (data order, crops, flips, masks, drop path, mixup) come back exactly.
/// </summary>
[Collection(SerialTorchRandomness.Name)]
public class StepExactResumeTests
{
    private static readonly PretrainOptions FourSteps = new(MaxStepsPerEpoch: 4);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void PretrainingResumedFromAMidEpochCheckpointMatchesAStraightRun(int accumulation)
    {
        // Straight: 3 epochs of 4 steps, a checkpoint after every optimizer step.
        var straightConfig = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), saveSteps: 1, accumulation: accumulation);
        var straight = new RunRecorder();
        var a = new Pretrainer(straightConfig, FourSteps, straight).Run();

        // A crash after step 6 (epoch 1, step 2): a run directory holding only the checkpoint written there.
        var resumedConfig = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), saveSteps: 1, accumulation: accumulation);
        string resumedDir = PretrainTestConfigs.RunDir(resumedConfig);
        Directory.CreateDirectory(resumedDir);
        string midEpoch = CheckpointFiles.MidEpoch(1, 2);
        File.Copy(Path.Combine(PretrainTestConfigs.RunDir(straightConfig), midEpoch), Path.Combine(resumedDir, midEpoch));
        var resumed = new RunRecorder();
        var b = new Pretrainer(resumedConfig, FourSteps, resumed).Run();

        Assert.EndsWith(midEpoch, resumed.Start!.ResumedFrom);
        Assert.Equal(12, straight.Losses.Count);
        Assert.Equal(straight.Losses.Where(kv => kv.Key > 6), resumed.Losses);       // exact, step by step
        Assert.Equal(a.EpochLosses.Skip(1), b.EpochLosses);                          // epoch 1's mean includes steps 5-6
        double difference = PretrainTestConfigs.MaxWeightDifference(a.LastCheckpoint!, b.LastCheckpoint!);
        Assert.True(difference <= 1e-6, $"final weights differ by {difference}");
    }

    [Fact]
    public void AnInterruptedPretrainingRunStopsAfterTheStepSavesThereAndResumesExactly()
    {
        var straight = new RunRecorder();
        var a = new Pretrainer(PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir()), FourSteps, straight).Run();

        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir());
        using var stop = new CancellationTokenSource();
        var first = new RunRecorder(step =>
        {
            if (step.GlobalStep == 6) stop.Cancel();
        });
        var interrupted = new Pretrainer(config, FourSteps, first).Run(stop.Token);

        Assert.True(interrupted.Interrupted);
        Assert.Equal(6, first.Losses.Count);
        Assert.Equal(Path.Combine(PretrainTestConfigs.RunDir(config), CheckpointFiles.MidEpoch(1, 2)), interrupted.LastCheckpoint);

        var second = new RunRecorder();
        var b = new Pretrainer(config, FourSteps, second).Run();

        Assert.False(b.Interrupted);
        Assert.Equal(straight.Losses, first.Losses.Concat(second.Losses));
        Assert.Equal(a.EpochLosses.Skip(1), b.EpochLosses);
        Assert.True(PretrainTestConfigs.MaxWeightDifference(a.LastCheckpoint!, b.LastCheckpoint!) <= 1e-6);
    }

    [Fact]
    public void FineTuningWithMixupDropPathAndErasingResumesExactly()
    {
        static SimMimConfig Config(string output)
        {
            var config = FinetuneTestConfigs.Vit(output, epochs: 3);
            return config with
            {
                Data = config.Data with { BatchSize = 16 },
                Aug = config.Aug with { Mixup = 0.8, Cutmix = 1.0, Reprob = 0.25 },
                SaveSteps = 1,
            };
        }
        var options = new FinetuneOptions(MaxStepsPerEpoch: 4);
        var straightConfig = Config(FinetuneTestConfigs.TempDir());
        var straight = new RunRecorder();
        var a = new FineTuner(straightConfig, options, straight).Run(new ColourDataset(128, seed: 1), new ColourDataset(64, seed: 2));

        var resumedConfig = Config(FinetuneTestConfigs.TempDir());
        string resumedDir = PretrainTestConfigs.RunDir(resumedConfig);
        Directory.CreateDirectory(resumedDir);
        string midEpoch = CheckpointFiles.MidEpoch(1, 3);
        File.Copy(Path.Combine(PretrainTestConfigs.RunDir(straightConfig), midEpoch), Path.Combine(resumedDir, midEpoch));
        var resumed = new RunRecorder();
        var b = new FineTuner(resumedConfig, options, resumed).Run(new ColourDataset(128, seed: 1), new ColourDataset(64, seed: 2));

        Assert.Equal(straight.Losses.Where(kv => kv.Key > 7), resumed.Losses);
        Assert.Equal(a.EpochLosses.Skip(1), b.EpochLosses);
        Assert.Equal(a.Evaluations.Skip(1).Select(e => e.Top1), b.Evaluations.Select(e => e.Top1));
        Assert.True(PretrainTestConfigs.MaxWeightDifference(a.LastCheckpoint!, b.LastCheckpoint!) <= 1e-6);
    }
}
