using System.Globalization;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Distributed;

/// <summary>
/// Data parallelism end to end: the built `simmim` under `mpirun -np 2` against one process with the same global
/// batch, one torch thread per process. Per-sample randomness is seeded by the sample's place in the epoch and the
/// gradients are averaged over equal local batches, so the loss trajectory must agree up to summation order.
/// </summary>
public sealed class MpirunTests : IDisposable
{
    private const string PretrainConfig = """
        DATA:
          IMG_SIZE: 32
          MASK_PATCH_SIZE: 8
          MASK_RATIO: 0.6
          BATCH_SIZE: 8
          NUM_WORKERS: 1
        MODEL:
          TYPE: vit
          NAME: mpi_pretrain
          DROP_PATH_RATE: 0.0
          VIT:
            PATCH_SIZE: 4
            EMBED_DIM: 32
            DEPTH: 2
            NUM_HEADS: 2
            USE_APE: False
            USE_RPB: False
            USE_SHARED_RPB: True
        TRAIN:
          EPOCHS: 3
          WARMUP_EPOCHS: 1
          BASE_LR: 8.0e-3
          WARMUP_LR: 8.0e-6
          MIN_LR: 8.0e-5
        SAVE_FREQ: 1
        PRINT_FREQ: 1
        """;

    // No mixup (its draws are per rank) and no drop path (per-rank random streams), so one and two processes agree.
    private const string FinetuneConfig = """
        DATA:
          DATA_PATH: builtin
          IMG_SIZE: 32
          BATCH_SIZE: 8
          NUM_WORKERS: 1
        MODEL:
          TYPE: vit
          NAME: mpi_finetune
          NUM_CLASSES: 10
          DROP_PATH_RATE: 0.0
          LABEL_SMOOTHING: 0.1
          VIT:
            PATCH_SIZE: 8
            EMBED_DIM: 32
            DEPTH: 2
            NUM_HEADS: 2
            USE_RPB: True
            USE_SHARED_RPB: False
            USE_MEAN_POOLING: True
        TRAIN:
          EPOCHS: 2
          WARMUP_EPOCHS: 0
          BASE_LR: 2.0e-2
          WARMUP_LR: 1.0e-6
          MIN_LR: 1.0e-5
          LAYER_DECAY: 0.75
        AUG:
          AUTO_AUGMENT: none
          COLOR_JITTER: 0.0
          REPROB: 0.0
          MIXUP: 0.0
          CUTMIX: 0.0
        SAVE_FREQ: 1
        PRINT_FREQ: 1
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("simmim-mpirun").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertSucceeded((int ExitCode, string Output) run) => Assert.True(run.ExitCode == 0, run.Output);

    // metrics.csv rows: (global step, loss, lr, grad norm).
    private static List<(long Step, double Loss, double Lr, double GradNorm)> Metrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.csv")).Skip(1).Select(line => line.Split(',')).Select(f =>
            (long.Parse(f[2], CultureInfo.InvariantCulture), double.Parse(f[3], CultureInfo.InvariantCulture),
             double.Parse(f[4], CultureInfo.InvariantCulture), double.Parse(f[5], CultureInfo.InvariantCulture))).ToList();

    private static void AssertSameTrajectory(string oneDir, string twoDir, int steps)
    {
        var one = Metrics(oneDir);
        var two = Metrics(twoDir);
        Assert.Equal(steps, one.Count);
        Assert.Equal(steps, two.Count);   // rank 1 wrote no rows of its own
        for (int i = 0; i < steps; i++)
        {
            Assert.Equal(one[i].Step, two[i].Step);
            Assert.Equal(one[i].Lr, two[i].Lr);   // lr scaled by the global batch (spec §4.3): 4 × 2 = 8 images
            Assert.True(Math.Abs(one[i].Loss - two[i].Loss) <= 1e-4 * one[i].Loss, $"step {i + 1}: loss {one[i].Loss} vs {two[i].Loss}");
            Assert.True(Math.Abs(one[i].GradNorm - two[i].GradNorm) <= 1e-4 * one[i].GradNorm,
                $"step {i + 1}: grad norm {one[i].GradNorm} vs {two[i].GradNorm}");
        }
    }

    // Every epoch's check found the two processes' weights bit-identical; one log line per epoch, from rank 0 alone.
    private static void AssertIdenticalReplicas(string log, int epochs)
    {
        var lines = log.Split('\n').Where(l => l.Contains("largest weight difference between processes")).ToList();
        Assert.Equal(epochs, lines.Count);
        Assert.All(lines, l => Assert.EndsWith("largest weight difference between processes 0", l.TrimEnd()));
        for (int epoch = 0; epoch < epochs; epoch++)
            Assert.Single(log.Split('\n'), l => l.Contains($"] epoch {epoch} done:"));
    }

    [MpirunFact]
    public void PretrainingOnTwoProcessesFollowsOneProcessWithTheGlobalBatchAndResumes()
    {
        string cfg = Write("pretrain.yaml", PretrainConfig);
        string[] common = ["pretrain", "--cfg", cfg, "--threads", "1", "--steps-per-epoch", "4"];
        string[] twoEpochs = ["--opts", "TRAIN.EPOCHS", "2"];

        // Both: two epochs (the schedule spans two), then a second start resumes from the checkpoint for a third.
        string[] one = [.. common, "--output", Path.Combine(_dir, "one")];
        AssertSucceeded(MpirunProcesses.Alone(null, [.. one, .. twoEpochs]));
        AssertSucceeded(MpirunProcesses.Alone(null, one));
        string[] two = [.. common, "--output", Path.Combine(_dir, "two"), "--batch-size", "4"];
        var first = MpirunProcesses.Launch(2, [.. two, .. twoEpochs]);
        AssertSucceeded(first);
        Assert.Single(first.Output.Split('\n'), l => l.StartsWith("checkpoint:"));   // rank 1 prints nothing
        AssertSucceeded(MpirunProcesses.Launch(2, two));

        string oneDir = Path.Combine(_dir, "one", "mpi_pretrain", "default");
        string twoDir = Path.Combine(_dir, "two", "mpi_pretrain", "default");
        AssertSameTrajectory(oneDir, twoDir, steps: 12);
        string log = File.ReadAllText(Path.Combine(twoDir, "log.txt"));
        Assert.Contains("data parallel: 2 processes", log);
        Assert.Contains("resumed from", log);
        AssertIdenticalReplicas(log, epochs: 3);

        // Processes that would resume from different checkpoints stop together, saying why.
        string[] resumeFrom(int epoch) => [.. two, "--resume", Path.Combine(twoDir, $"ckpt_epoch_{epoch}.pth"), "--opts", "TRAIN.EPOCHS", "4"];
        var mismatch = MpirunProcesses.LaunchEach(resumeFrom(1), resumeFrom(2));
        Assert.NotEqual(0, mismatch.ExitCode);
        Assert.Contains("resumed at different points", mismatch.Output.ReplaceLineEndings(" "));

        // And the two runs end with the same weights.
        var config = ConfigLoader.Load(cfg);
        using var oneModel = ModelFactory.BuildSimMim(config.Model, config.Data.ImgSize);
        using var twoModel = ModelFactory.BuildSimMim(config.Model, config.Data.ImgSize);
        TrainingCheckpoint.LoadWeights(Path.Combine(oneDir, "ckpt_epoch_2.pth"), oneModel);
        TrainingCheckpoint.LoadWeights(Path.Combine(twoDir, "ckpt_epoch_2.pth"), twoModel);
        foreach (var ((name, a), (_, b)) in oneModel.named_parameters().Zip(twoModel.named_parameters()))
        {
            using var difference = (a - b).abs().max();
            Assert.True(difference.item<float>() < 1e-4, $"{name} differs by {difference.item<float>()}");
        }
    }

    [MpirunFact]
    public void FineTuningOnTwoProcessesFollowsOneProcessAndEvaluatesTheWholeSet()
    {
        string cfg = Write("finetune.yaml", FinetuneConfig);
        string[] common = ["finetune", "--cfg", cfg, "--threads", "1", "--steps-per-epoch", "5"];
        AssertSucceeded(MpirunProcesses.Alone(null, [.. common, "--output", Path.Combine(_dir, "one")]));
        AssertSucceeded(MpirunProcesses.Launch(2, [.. common, "--output", Path.Combine(_dir, "two"), "--batch-size", "4"]));

        string oneDir = Path.Combine(_dir, "one", "mpi_finetune", "default");
        string twoDir = Path.Combine(_dir, "two", "mpi_finetune", "default");
        AssertSameTrajectory(oneDir, twoDir, steps: 10);
        string log = File.ReadAllText(Path.Combine(twoDir, "log.txt"));
        AssertIdenticalReplicas(log, epochs: 2);
        // Each process evaluates half of the validation set; the summed tallies are the whole set's.
        static string[] Evaluations(string log) =>
            log.Split('\n').Where(l => l.Contains(" done: ")).Select(l => l[l.IndexOf("val loss", StringComparison.Ordinal)..l.IndexOf("; rss", StringComparison.Ordinal)]).ToArray();
        string[] expected = Evaluations(File.ReadAllText(Path.Combine(oneDir, "log.txt")));
        Assert.Equal(2, expected.Length);
        Assert.Equal(expected, Evaluations(log));
    }

    [MpirunFact]
    public void AProcessThatFailsStopsTheRunInsteadOfLeavingTheOthersWaiting()
    {
        string cfg = Write("pretrain.yaml", PretrainConfig);
        string[] args = ["pretrain", "--cfg", cfg, "--threads", "1", "--output", _dir, "--steps-per-epoch", "2"];
        // Rank 1's batch does not fit its share: it fails after MPI is up, while rank 0 waits in a collective.
        var (code, output) = MpirunProcesses.LaunchEach([.. args, "--batch-size", "4"], [.. args, "--batch-size", "5000"]);
        Assert.NotEqual(0, code);
        Assert.Contains("DATA.BATCH_SIZE (5000)", output);
    }

    [MpirunFact]
    public void MpiCheckFindsTheCollectivesCorrectOnTwoProcesses()
    {
        var (code, output) = MpirunProcesses.Launch(2, "mpi-check", "--threads", "1", "--iterations", "3");
        Assert.True(code == 0, output);
        Assert.Contains("processes: 2", output);
        Assert.Contains("Open MPI", output);
        Assert.Contains("correct", output);
    }

    [Fact]
    public void LaunchedByMpirunWithoutAnMpiLibraryIsAOneLineError()
    {
        var (code, output) = MpirunProcesses.Alone(
            new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "2", ["SIMMIM_MPI_LIBRARY"] = "/nonexistent/libmpi.so" },
            "pretrain", "--output", _dir);
        Assert.Equal(1, code);
        Assert.StartsWith("error:", output);
        Assert.Contains("SIMMIM_MPI_LIBRARY", output.ReplaceLineEndings(" "));
        Assert.False(Directory.EnumerateFileSystemEntries(_dir).Any(), "nothing may be written");
    }

    [Fact]
    public void VerbsWithoutADataParallelModeRefuseToRunUnderMpirun()
    {
        var (code, output) = MpirunProcesses.Alone(new Dictionary<string, string> { ["OMPI_COMM_WORLD_SIZE"] = "2" },
            "linprobe", "--output", _dir);
        Assert.Equal(1, code);
        Assert.StartsWith("error:", output);
        Assert.Contains("launch it without mpirun", output.ReplaceLineEndings(" "));
    }
}
