using SimMim.Cli;
using Spectre.Console.Testing;

namespace SimMim.Tests.Cli;

/// <summary>The `simmim` command end to end: user errors are one line and an exit code; a short run leaves its files.</summary>
public class CliTests
{
    private static (int ExitCode, string[] Lines) Run(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 400;
        int code = SimMimApp.Run(args, console);
        return (code, console.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-cli").FullName;

    [Fact]
    public void AMissingConfigFileIsOneLineNamingItWithExitCode2()
    {
        var (code, lines) = Run("pretrain", "--cfg", "/nonexistent/x.yaml");
        Assert.Equal(2, code);
        Assert.Single(lines);
        Assert.Contains("/nonexistent/x.yaml", lines[0]);
    }

    [Fact]
    public void AnUnknownOptsKeyIsNamed()
    {
        var (code, lines) = Run("pretrain", "--opts", "TRAIN.EPOCHSS", "3");
        Assert.Equal(2, code);
        Assert.Single(lines);
        Assert.Contains("TRAIN.EPOCHSS", lines[0]);
    }

    [Fact]
    public void AnImpossibleSizeIsNamed()
    {
        var (code, lines) = Run("pretrain", "--opts", "DATA.IMG_SIZE", "60");
        Assert.Equal(2, code);
        Assert.Single(lines);
        Assert.Contains("DATA.IMG_SIZE", lines[0]);
    }

    [Fact]
    public void AMissingDataPathIsNamed()
    {
        var (code, lines) = Run("pretrain", "--data-path", "/nonexistent/images", "--output", TempDir());
        Assert.NotEqual(0, code);
        Assert.Single(lines);
        Assert.Contains("/nonexistent/images", lines[0]);
    }

    [Fact]
    public void BadFlagValuesAreUsageErrors()
    {
        Assert.Equal(2, Run("pretrain", "--batch-size", "0").ExitCode);
        Assert.Equal(2, Run("reconstruct").ExitCode);
        Assert.Equal(2, Run("pretrain", "--no-such-flag").ExitCode);
    }

    [Fact]
    public void AShortRunWritesCheckpointGridAndLogAndReconstructReadsTheCheckpoint()
    {
        string output = TempDir();
        var (code, lines) = Run("pretrain", "--output", output, "--steps-per-epoch", "2",
            "--opts", "TRAIN.EPOCHS", "2", "TRAIN.WARMUP_EPOCHS", "1", "DATA.BATCH_SIZE", "8");
        Assert.True(code == 0, string.Join('\n', lines));
        string runDir = Path.Combine(output, "simmim_demo", "default");
        string checkpoint = Path.Combine(runDir, "ckpt_epoch_1.pth");
        Assert.True(File.Exists(checkpoint));
        Assert.True(File.Exists(Path.Combine(runDir, "ckpt_epoch_0.pth")));
        Assert.True(File.Exists(Path.Combine(runDir, "reconstruction_epoch_1.png")));
        Assert.Contains("epoch 1 done", File.ReadAllText(Path.Combine(runDir, "log.txt")));
        Assert.Contains(lines, l => l.Contains(checkpoint));

        string grid = Path.Combine(output, "grid.png");
        var (reconstructCode, reconstructLines) = Run("reconstruct", "--checkpoint", checkpoint, "--output", grid, "--count", "3");
        Assert.True(reconstructCode == 0, string.Join('\n', reconstructLines));
        using var image = SkiaSharp.SKBitmap.Decode(grid);
        Assert.True(image.Width > image.Height); // four columns, three rows

        // Running again with more epochs resumes after the last checkpoint instead of starting over.
        var (again, againLines) = Run("pretrain", "--output", output, "--steps-per-epoch", "2",
            "--opts", "TRAIN.EPOCHS", "3", "TRAIN.WARMUP_EPOCHS", "1", "DATA.BATCH_SIZE", "8");
        Assert.True(again == 0, string.Join('\n', againLines));
        string log = File.ReadAllText(Path.Combine(runDir, "log.txt"));
        Assert.Contains("resumed from", log);
        Assert.Contains("epoch 2 done", log);
        Assert.Single(log.Split('\n'), l => l.Contains("epoch 0 done"));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("pretrain", "--help")]
    [InlineData("reconstruct", "--help")]
    public void HelpWorksEverywhere(params string[] args)
    {
        var (code, lines) = Run(args);
        Assert.Equal(0, code);
        Assert.Contains(lines, l => l.Contains("USAGE"));
    }
}
