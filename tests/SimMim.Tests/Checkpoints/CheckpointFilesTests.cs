using SimMim.Checkpoints;

namespace SimMim.Tests.Checkpoints;

public class CheckpointFilesTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-ckpt-files").FullName;

    private static void Touch(string dir, params string[] names)
    {
        foreach (string name in names) File.WriteAllText(Path.Combine(dir, name), name);
    }

    [Theory]
    [InlineData("ckpt_epoch_3.pth", 4, 0)]
    [InlineData("ckpt_epoch_3_step_7.pth", 3, 7)]
    [InlineData("ckpt_epoch_0_step_1.pth", 0, 1)]
    public void NamesMapToTheirPlaceInTheRun(string name, int epoch, int step)
    {
        Assert.Equal((epoch, step), CheckpointFiles.Position(name));
    }

    [Theory]
    [InlineData("ckpt_epoch_x.pth")]
    [InlineData("ckpt_epoch_3_step_0.pth")]
    [InlineData("ckpt_epoch_-1.pth")]
    [InlineData("ckpt_epoch_3.pth.bak")]
    [InlineData("linear_probe.pth")]
    public void OtherNamesAreNotCheckpoints(string name)
    {
        Assert.Null(CheckpointFiles.Position(name));
    }

    [Fact]
    public void NewestFirstOrdersEpochEndsAndMidEpochCheckpointsByRunPosition()
    {
        string dir = TempDir();
        Touch(dir, "ckpt_epoch_0.pth", "ckpt_epoch_1_step_2.pth", "ckpt_epoch_1_step_10.pth", "ckpt_epoch_1.pth",
            "ckpt_epoch_10.pth", "ckpt_epoch_2_step_1.pth", "ckpt_epoch_x.pth", ".ckpt_epoch_11.pth.99.tmp");
        Assert.Equal(["ckpt_epoch_10.pth", "ckpt_epoch_2_step_1.pth", "ckpt_epoch_1.pth", "ckpt_epoch_1_step_10.pth",
                      "ckpt_epoch_1_step_2.pth", "ckpt_epoch_0.pth"],
            CheckpointFiles.NewestFirst(dir).Select(Path.GetFileName));
        Assert.Empty(CheckpointFiles.NewestFirst(Path.Combine(dir, "absent")));
    }

    [Fact]
    public void PruneKeepsTheNewestKUpToTheOneWrittenAndLeavesNewerOnesAlone()
    {
        string dir = TempDir();
        // A resumed run went back to epoch 1 step 2; the later files are from its first attempt.
        Touch(dir, "ckpt_epoch_0.pth", "ckpt_epoch_1_step_1.pth", "ckpt_epoch_1_step_2.pth", "ckpt_epoch_1_step_3.pth",
            "ckpt_epoch_1.pth", "other.txt");
        var deleted = CheckpointFiles.Prune(dir, keep: 2, Path.Combine(dir, "ckpt_epoch_1_step_2.pth"));

        Assert.Equal(["ckpt_epoch_0.pth"], deleted.Select(Path.GetFileName));
        Assert.Equal(["ckpt_epoch_1.pth", "ckpt_epoch_1_step_1.pth", "ckpt_epoch_1_step_2.pth", "ckpt_epoch_1_step_3.pth", "other.txt"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void StaleTemporariesOfDeadWritersAreDeletedButALiveWritersAreKept()
    {
        string dir = TempDir();
        // No process has this id (above Linux's pid_max of 2^22).
        string dead = AtomicFile.TemporaryPath(Path.Combine(dir, "ckpt_epoch_2.pth"), 9_999_999);
        string ours = AtomicFile.TemporaryPath(Path.Combine(dir, "ckpt_epoch_3.pth"));
        File.WriteAllText(dead, "half");
        File.WriteAllText(ours, "half");

        Assert.Equal([dead], CheckpointFiles.DeleteStaleTemporaries(dir));
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(ours));
    }
}
