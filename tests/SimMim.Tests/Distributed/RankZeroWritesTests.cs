using SimMim.Checkpoints;
using SimMim.Tests.Training;
using SimMim.Training;

namespace SimMim.Tests.Distributed;

/// <summary>
/// In a data-parallel run rank 0 alone writes the run's files (log, metrics, config, checkpoints, reconstructions);
/// the other ranks run the same loop, with the same checkpoint bookkeeping, and leave no file behind.
/// </summary>
public class RankZeroWritesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void OnlyRankZeroWritesTheRunsFiles(int rank)
    {
        // SAVE_STEPS 1 and SAVE_KEEP 2: mid-epoch saves and pruning are exercised too.
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), saveSteps: 1, epochs: 2) with { SaveKeep = 2 };
        string dir = PretrainTestConfigs.RunDir(config);

        var result = new Pretrainer(config, new PretrainOptions(MaxStepsPerEpoch: 3), group: new MirrorPeerGroup(rank)).Run();

        Assert.Equal(Path.Combine(dir, CheckpointFiles.EpochEnd(1)), result.LastCheckpoint);
        Assert.Equal(2, result.EpochLosses.Count);
        Assert.All(result.EpochLosses, loss => Assert.True(double.IsFinite(loss)));
        string[] files = Directory.Exists(dir) ? Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).ToArray() : [];
        if (rank == 0)
        {
            Assert.Contains("log.txt", files);
            Assert.Contains("config.yaml", files);
            Assert.Contains("metrics.csv", files);
            Assert.Contains("reconstruction_epoch_1.png", files);
            Assert.Equal([CheckpointFiles.MidEpoch(1, 2), CheckpointFiles.EpochEnd(1)],
                files.Where(f => f.EndsWith(".pth")).OrderBy(f => File.GetLastWriteTimeUtc(Path.Combine(dir, f))));
            Assert.Contains("data parallel: 2 processes", File.ReadAllText(Path.Combine(dir, "log.txt")));
        }
        else
        {
            Assert.Empty(files);
        }
    }
}
