using System.Globalization;
using SimMim.Checkpoints;
using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>
/// What a run leaves in its folder stays one consistent record across stops and resumes: metrics.csv one series of
/// steps, log.txt whole lines, and config.yaml that of the run whose checkpoints are there.
/// </summary>
public class RunFolderTests
{
    private static readonly PretrainOptions TwoSteps = new(MaxStepsPerEpoch: 2);

    private static long[] Steps(string metrics) =>
        File.ReadAllLines(metrics).Skip(1).Select(l => long.Parse(l.Split(',')[2], CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void AResumeDropsTheStepsARunLoggedAfterItsLastCheckpoint()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 2);
        new Pretrainer(config, TwoSteps).Run();
        string dir = PretrainTestConfigs.RunDir(config);
        string metrics = Path.Combine(dir, "metrics.csv");
        Assert.Equal([1, 2, 3, 4], Steps(metrics));
        // As if killed after step 4 was logged but before its checkpoint was written: the rerun does steps 3 and 4 again.
        File.Delete(Path.Combine(dir, CheckpointFiles.EpochEnd(1)));
        string[] before = File.ReadAllLines(metrics);

        new Pretrainer(config, TwoSteps).Run();

        string[] after = File.ReadAllLines(metrics);
        Assert.Equal(MetricsFile.Header, after[0]);
        Assert.Equal([1, 2, 3, 4], Steps(metrics));
        Assert.Equal(before[..3], after[..3]);   // steps 1 and 2, before the checkpoint resumed from, are kept as they were
    }

    [Fact]
    public void OpeningDropsARowCutShortAndRestoresAMissingHeader()
    {
        string path = Path.Combine(PretrainTestConfigs.TempDir(), "metrics.csv");
        File.WriteAllText(path, "0,1,1,0.5,0.001,1.5,10.00,100\n0,2,2,0.4,0.001,1.4,10.00,100\n0,3,3,0.3,0.0");

        using (var metrics = MetricsFile.Open(path, resumedStep: 3))
            metrics.Step(0, 3, 3, 0.25, 0.001, 1.3, 10, 100);

        Assert.Equal([MetricsFile.Header, "0,1,1,0.5,0.001,1.5,10.00,100", "0,2,2,0.4,0.001,1.4,10.00,100", "0,3,3,0.25,0.001,1.3,10.00,100"],
            File.ReadAllLines(path));
    }

    [Fact]
    public void ARowForAStepAlreadyLoggedReplacesItAndWhatFollowed()
    {
        static string Row(int step, string loss) => $"0,{step},{step},{loss},0,0,0,0";
        // Steps 2 and 3 logged twice (a run that resumed behind them before this fix), and a step past the resume point.
        string text = string.Concat(new[] { Row(1, "a"), Row(2, "b"), Row(3, "c"), Row(2, "B"), Row(3, "C"), Row(4, "D") }.Select(r => r + "\n"));
        Assert.Equal([Row(1, "a"), Row(2, "B"), Row(3, "C")], MetricsFile.Series(MetricsFile.Header + "\n" + text, resumedStep: 3));
    }

    [Fact]
    public void ALogLineCutShortByAKillIsEndedBeforeTheNextOne()
    {
        string path = Path.Combine(PretrainTestConfigs.TempDir(), "log.txt");
        File.WriteAllText(path, "[2026-01-01 00:00:00] epoch 3 do");
        using (var log = new RunLog(path))
            log.Write("resumed");
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("[2026-01-01 00:00:00] epoch 3 do", lines[0]);
        Assert.EndsWith("] resumed", lines[1]);
    }

    [Fact]
    public void ARunRefusedOnResumeLeavesTheFoldersConfigAndMetricsAsTheyWere()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 1);
        new Pretrainer(config, TwoSteps).Run();
        string dir = PretrainTestConfigs.RunDir(config);
        byte[] configYaml = File.ReadAllBytes(Path.Combine(dir, "config.yaml"));
        byte[] metrics = File.ReadAllBytes(Path.Combine(dir, "metrics.csv"));

        // A wider model no longer fits the folder's checkpoint: the resume refuses it.
        var wider = config with
        {
            Model = config.Model with { Swin = config.Model.Swin with { EmbedDim = 24 } },
            Train = config.Train with { Epochs = 2 },
        };
        var e = Assert.Throws<CheckpointException>(() => new Pretrainer(wider, TwoSteps).Run());

        Assert.Contains("does not fit this model", e.Message);
        Assert.Equal(configYaml, File.ReadAllBytes(Path.Combine(dir, "config.yaml")));
        Assert.Equal(metrics, File.ReadAllBytes(Path.Combine(dir, "metrics.csv")));
    }
}
