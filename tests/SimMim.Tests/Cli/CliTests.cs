namespace SimMim.Tests.Cli;

/// <summary>
/// The `simmim` command end to end: user errors are one line on standard error and an exit code; a short run leaves
/// its files.
/// </summary>
public class CliTests
{
    private static CliResult Run(params string[] args) => CliRun.Run(400, args);

    /// <summary>Exactly one line, on standard error, with nothing on standard output.</summary>
    private static string ErrorLine(CliResult result)
    {
        Assert.True(result.Out.Length == 0, result.ToString());
        return Assert.Single(result.Err);
    }

    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-cli").FullName;

    [Fact]
    public void AMissingConfigFileIsOneLineNamingItWithExitCode2()
    {
        var result = Run("pretrain", "--cfg", "/nonexistent/x.yaml");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/nonexistent/x.yaml", ErrorLine(result));
    }

    [Fact]
    public void AnUnknownOptsKeyIsNamed()
    {
        var result = Run("pretrain", "--opts", "TRAIN.EPOCHSS", "3");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("TRAIN.EPOCHSS", ErrorLine(result));
    }

    [Fact]
    public void AnImpossibleSizeIsNamed()
    {
        var result = Run("pretrain", "--opts", "DATA.IMG_SIZE", "60");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("DATA.IMG_SIZE", ErrorLine(result));
    }

    [Fact]
    public void AMissingDataPathIsNamed()
    {
        var result = Run("pretrain", "--data-path", "/nonexistent/images", "--output", TempDir());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("/nonexistent/images", ErrorLine(result));
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
        var (code, lines, errors) = Run("pretrain", "--output", output, "--steps-per-epoch", "2",
            "--opts", "TRAIN.EPOCHS", "2", "TRAIN.WARMUP_EPOCHS", "1", "DATA.BATCH_SIZE", "8");
        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Empty(errors);
        string runDir = Path.Combine(output, "simmim_demo", "default");
        string checkpoint = Path.Combine(runDir, "ckpt_epoch_1.pth");
        Assert.True(File.Exists(checkpoint));
        Assert.True(File.Exists(Path.Combine(runDir, "ckpt_epoch_0.pth")));
        Assert.True(File.Exists(Path.Combine(runDir, "reconstruction_epoch_1.png")));
        Assert.Contains("epoch 1 done", File.ReadAllText(Path.Combine(runDir, "log.txt")));
        Assert.Contains(lines, l => l.Contains(checkpoint));

        string grid = Path.Combine(output, "grid.png");
        var (reconstructCode, reconstructLines, _) = Run("reconstruct", "--checkpoint", checkpoint, "--output", grid, "--count", "3");
        Assert.True(reconstructCode == 0, string.Join('\n', reconstructLines));
        using var image = SkiaSharp.SKBitmap.Decode(grid);
        Assert.True(image.Width > image.Height); // four columns, three rows

        // Running again with more epochs resumes after the last checkpoint instead of starting over.
        var (again, againLines, _) = Run("pretrain", "--output", output, "--steps-per-epoch", "2",
            "--opts", "TRAIN.EPOCHS", "3", "TRAIN.WARMUP_EPOCHS", "1", "DATA.BATCH_SIZE", "8");
        Assert.True(again == 0, string.Join('\n', againLines));
        string log = File.ReadAllText(Path.Combine(runDir, "log.txt"));
        Assert.Contains("resumed from", log);
        Assert.Contains("epoch 2 done", log);
        Assert.Single(log.Split('\n'), l => l.Contains("epoch 0 done"));
    }

    [Fact]
    public void AWarningGoesToStandardErrorAndTheRunGoesOn()
    {
        string data = TempDir();
        for (int i = 0; i < 4; i++)
        {
            using var bitmap = new SkiaSharp.SKBitmap(8, 8);
            using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(data, $"{i}.png"), png.ToArray());
        }
        File.WriteAllText(Path.Combine(data, "notes.txt"), "not an image");

        var result = Run("pretrain", "--output", TempDir(), "--data-path", data, "--steps-per-epoch", "1", "--threads", "1",
            "--opts", "TRAIN.EPOCHS", "1", "TRAIN.WARMUP_EPOCHS", "0", "DATA.BATCH_SIZE", "2", "DATA.IMG_SIZE", "32");

        Assert.True(result.ExitCode == 0, result.ToString());
        string warning = Assert.Single(result.Err);
        Assert.StartsWith("warning: data: ignored 1 files that are not images", warning);
        Assert.DoesNotContain(result.Out, l => l.Contains("notes.txt"));
        Assert.Contains(result.Out, l => l.StartsWith("checkpoint: "));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("pretrain", "--help")]
    [InlineData("reconstruct", "--help")]
    public void HelpWorksEverywhere(params string[] args)
    {
        var (code, lines, _) = Run(args);
        Assert.Equal(0, code);
        Assert.Contains(lines, l => l.Contains("USAGE"));
    }
}
