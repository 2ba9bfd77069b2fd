using SimMim.Benchmarking;
using SimMim.Config;

namespace SimMim.Tests.Cli;

/// <summary>`simmim benchmark` end to end on the built-in demo config, shrunk to a few tiny steps.</summary>
public class BenchmarkCliTests
{
    private static CliResult Run(params string[] args) => CliRun.Run(400, args);

    private static BenchmarkResult Json(string[] lines) =>
        BenchmarkResult.FromJson(Assert.Single(lines, l => l.StartsWith('{')));

    [Fact]
    public void ATinyRunPrintsATableAndOneJsonLineOfConsistentNumbers()
    {
        var (code, lines, _) = Run("benchmark", "--steps", "2", "--warmup", "1", "--threads", "1", "--batch-size", "4");
        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Contains(lines, l => l.Contains("MFU"));
        var r = Json(lines);
        Assert.Equal((4, 1, "fp32", 2, 1), (r.BatchSize, r.Threads, r.Precision, r.Steps, r.WarmupSteps));

        var demo = ConfigLoader.Load(SimMim.Cli.Settings.ConfigSettings.DemoConfigPath);
        var flops = ModelFlops.SimMim(demo.Model, demo.Data.ImgSize);
        Assert.Equal(flops.Forward, r.FlopsPerImageForward);
        Assert.Equal(3 * flops.Forward, r.FlopsPerImageTrain);
        Assert.Equal(r.TrainStepMs, r.ForwardMs + r.BackwardMs + r.OptimizerMs, 6);
        Assert.Equal(4 / (r.TrainStepMs / 1000), r.TrainImagesPerSec, 6);
        Assert.Equal(r.TrainImagesPerSec * r.FlopsPerImageTrain, r.TrainFlopsPerSec, 0);
        Assert.Equal(r.TrainFlopsPerSec / r.MatmulFp32FlopsPerSec, r.Mfu, 9);
        Assert.True(r.InferenceImagesPerSec > 0 && r.InputImagesPerSec > 0 && r.MatmulFp32FlopsPerSec > 1e8);
        Assert.StartsWith("temporary folder", r.InputSource);
        Assert.True(r.PeakRssBytes > 0 && r.Parameters > 0);
        Assert.Null(r.MatmulBf16FlopsPerSec);
        Assert.True(double.IsFinite(r.FirstLoss) && double.IsFinite(r.LastLoss));
    }

    [Fact]
    public void Bf16MeasuresTheBf16MatmulRateAndAnImageFolderIsRead()
    {
        string folder = Directory.CreateTempSubdirectory("simmim-bench-data").FullName;
        try
        {
            using (var images = SampleImageFolder.Create(8, 40, seed: 3))
            {
                foreach (string file in Directory.EnumerateFiles(images.Root, "*", SearchOption.AllDirectories))
                    File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }
            var (code, lines, _) = Run("benchmark", "--steps", "1", "--warmup", "0", "--threads", "1", "--batch-size", "4",
                "--precision", "bf16", "--data-path", folder);
            Assert.True(code == 0, string.Join('\n', lines));
            var r = Json(lines);
            Assert.Equal("bf16", r.Precision);
            Assert.NotNull(r.MatmulBf16FlopsPerSec);
            Assert.Equal(r.TrainFlopsPerSec / r.MatmulBf16FlopsPerSec!.Value, r.Mfu, 9);
            Assert.Equal(folder, r.InputSource);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("--steps", "0")]
    [InlineData("--warmup", "-1")]
    [InlineData("--precision", "fp16")]
    [InlineData("--threads", "0")]
    public void BadFlagsAreOneLineWithExitCode2(string flag, string value)
    {
        var (code, lines, errors) = Run("benchmark", flag, value);
        Assert.Equal(2, code);
        Assert.Empty(lines);
        Assert.Contains(flag, Assert.Single(errors));
    }

    [Fact]
    public void AMissingDataPathIsOneLine()
    {
        var (code, lines, errors) = Run("benchmark", "--steps", "1", "--warmup", "0", "--batch-size", "2", "--data-path", "/nonexistent/bench");
        Assert.NotEqual(0, code);
        Assert.Empty(lines);
        Assert.Contains("/nonexistent/bench", Assert.Single(errors));
    }

    [Fact]
    public void PretrainAndFinetuneRefuseAnUnknownPrecision()
    {
        Assert.Equal(2, Run("pretrain", "--precision", "half").ExitCode);
        Assert.Equal(2, Run("finetune", "--precision", "half").ExitCode);
    }
}
