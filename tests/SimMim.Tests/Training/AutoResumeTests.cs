using SimMim.Checkpoints;
using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>Auto-resume takes the newest checkpoint that reads back intact and says which ones it skipped.</summary>
public class AutoResumeTests
{
    private static readonly PretrainOptions TwoSteps = new(MaxStepsPerEpoch: 2);

    [Fact]
    public void ACorruptNewestCheckpointIsSkippedAndReportedAndAKilledWritersTemporaryIsCleanedUp()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 2);
        new Pretrainer(config, TwoSteps).Run();
        string dir = PretrainTestConfigs.RunDir(config);
        string newest = Path.Combine(dir, CheckpointFiles.EpochEnd(1));
        string older = Path.Combine(dir, CheckpointFiles.EpochEnd(0));
        byte[] bytes = File.ReadAllBytes(newest);
        File.WriteAllBytes(newest, bytes[..(bytes.Length / 2)]);               // torn by a copy, say
        File.WriteAllBytes(Path.Combine(dir, CheckpointFiles.MidEpoch(2, 1)), []);   // empty
        string temporary = AtomicFile.TemporaryPath(Path.Combine(dir, CheckpointFiles.EpochEnd(2)), 9_999_999);
        File.WriteAllBytes(temporary, bytes[..100]);                            // a writer killed mid-write

        var recorder = new RunRecorder();
        var result = new Pretrainer(config with { Train = config.Train with { Epochs = 3 } }, TwoSteps, recorder).Run();

        Assert.Equal(older, recorder.Start!.ResumedFrom);
        Assert.Contains(recorder.Messages, m => m.StartsWith("auto-resume: skipped") && m.Contains(CheckpointFiles.MidEpoch(2, 1)));
        Assert.Contains(recorder.Messages, m => m.StartsWith("auto-resume: skipped") && m.Contains(newest));
        Assert.Contains(recorder.Messages, m => m.Contains($"deleted {temporary}"));
        Assert.False(File.Exists(temporary));
        Assert.Equal([1, 2], recorder.Epochs.Select(e => e.Epoch));
        // The run went back over epoch 1 and wrote a readable checkpoint where the torn one was.
        TrainingCheckpoint.Read(newest);
        Assert.EndsWith(CheckpointFiles.EpochEnd(2), result.LastCheckpoint);
        string log = File.ReadAllText(Path.Combine(dir, "log.txt"));
        Assert.Contains($"auto-resume: skipped {newest}", log);
    }

    [Fact]
    public void ACheckpointOfAnotherArchitectureStopsTheRunInsteadOfBeingSkippedOrOverwritten()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 1);
        new Pretrainer(config, TwoSteps).Run();
        string checkpoint = Path.Combine(PretrainTestConfigs.RunDir(config), CheckpointFiles.EpochEnd(0));
        byte[] before = File.ReadAllBytes(checkpoint);

        var wider = config with { Model = config.Model with { Swin = config.Model.Swin with { EmbedDim = 24 } } };
        var e = Assert.Throws<CheckpointException>(() => new Pretrainer(wider, TwoSteps).Run());

        Assert.StartsWith($"{checkpoint}: does not fit this model", e.Message);
        Assert.Equal(2, e.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));
    }

    [Fact]
    public void AnExplicitCorruptCheckpointIsAnErrorNotSkipped()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 1);
        string corrupt = Path.Combine(PretrainTestConfigs.TempDir(), "ckpt.pth");
        File.WriteAllText(corrupt, "not a checkpoint");
        var e = Assert.Throws<CheckpointException>(() => new Pretrainer(config, new PretrainOptions(ResumePath: corrupt)).Run());
        Assert.StartsWith(corrupt, e.Message);
    }
}
