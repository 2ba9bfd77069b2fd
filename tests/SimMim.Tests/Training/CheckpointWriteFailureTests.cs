using SimMim.Checkpoints;
using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>A checkpoint write that fails (here a real ENOSPC) leaves the previous checkpoint intact and says so.</summary>
public class CheckpointWriteFailureTests
{
    [Fact]
    public void AFullDiskAtTheLastSaveIsReportedNamingTheIntactPreviousCheckpoint()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 2);
        string dir = PretrainTestConfigs.RunDir(config);
        Directory.CreateDirectory(dir);
        string previous = Path.Combine(dir, CheckpointFiles.EpochEnd(0));
        string failing = Path.Combine(dir, CheckpointFiles.EpochEnd(1));
        // The temporary file of epoch 1's checkpoint is /dev/full: its write fails as on a full disk.
        File.CreateSymbolicLink(AtomicFile.TemporaryPath(failing), "/dev/full");

        var recorder = new RunRecorder();
        var e = Assert.Throws<SimMimUserException>(() => new Pretrainer(config, new PretrainOptions(MaxStepsPerEpoch: 2), recorder).Run());

        Assert.StartsWith($"training finished, but could not write checkpoint {failing} (No space left on device", e.Message);
        Assert.EndsWith($"; the previous checkpoint {previous} is intact", e.Message);
        Assert.Equal(1, e.ExitCode);
        Assert.Contains(recorder.Messages, m => m.StartsWith($"could not write checkpoint {failing}"));
        Assert.False(File.Exists(failing));
        Assert.Equal(0, Convert.ToInt32(TrainingCheckpoint.Read(previous)["epoch"]));
        Assert.Empty(Directory.GetFiles(dir, ".*.tmp"));
    }

    [Fact]
    public void AFailedMidEpochSaveLetsTheRunGoOnAndTheNextSaveSucceeds()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), saveSteps: 1, epochs: 1);
        string dir = PretrainTestConfigs.RunDir(config);
        Directory.CreateDirectory(dir);
        string failing = Path.Combine(dir, CheckpointFiles.MidEpoch(0, 1));
        File.CreateSymbolicLink(AtomicFile.TemporaryPath(failing), "/dev/full");

        var recorder = new RunRecorder();
        var result = new Pretrainer(config, new PretrainOptions(MaxStepsPerEpoch: 3), recorder).Run();

        Assert.Contains(recorder.Messages, m => m.StartsWith($"could not write checkpoint {failing} (No space left on device")
                                                && m.EndsWith("; there is no earlier checkpoint"));
        Assert.Null(result.SaveFailure);
        Assert.True(File.Exists(Path.Combine(dir, CheckpointFiles.MidEpoch(0, 2))));
        Assert.EndsWith(CheckpointFiles.EpochEnd(0), result.LastCheckpoint);
    }

    [Fact]
    public void AReconstructionGridThatCannotBeWrittenIsReportedAndTheRunGoesOnToItsCheckpoint()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 1);
        string dir = PretrainTestConfigs.RunDir(config);
        Directory.CreateDirectory(dir);
        string grid = Path.Combine(dir, "reconstruction_epoch_0.png");
        File.CreateSymbolicLink(AtomicFile.TemporaryPath(grid), "/dev/full");

        var recorder = new RunRecorder();
        var result = new Pretrainer(config, new PretrainOptions(MaxStepsPerEpoch: 2), recorder).Run();

        Assert.Contains(recorder.Messages, m => m.StartsWith($"cannot write the reconstruction grid {grid}: No space left on device"));
        Assert.Null(result.LastReconstruction);
        Assert.Equal(Path.Combine(dir, CheckpointFiles.EpochEnd(0)), result.LastCheckpoint);
        Assert.True(File.Exists(result.LastCheckpoint));
    }
}
