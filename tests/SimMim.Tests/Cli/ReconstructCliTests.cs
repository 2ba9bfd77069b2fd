using SimMim.Checkpoints;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.Models;
using SkiaSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Cli;

/// <summary>`simmim reconstruct` writes the format its --output names and shows each readable image once.</summary>
public class ReconstructCliTests
{
    // The demo config's 64 px images: cells of 2 × 64 px with a 2 px gap (ReconstructionGrid), so one row is 132 px high.
    private const int OneRowHeight = 128 + 2 * 2;

    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-recon-cli").FullName;

    // The demo model, untrained: the grid's content does not matter here, only its rows and format.
    private static string Checkpoint(string dir)
    {
        string path = Path.Combine(dir, "ckpt.pth");
        using var model = ModelFactory.BuildSimMim(ConfigLoader.Load(ConfigSettings.DemoConfigPath).Model, 64);
        using var optimizer = optim.AdamW(model.parameters());
        TrainingCheckpoint.Save(path, model, optimizer, new TrainingState(0, 1, 0, ""));
        return path;
    }

    private static string Image(string path)
    {
        using var bitmap = new SKBitmap(64, 64);
        bitmap.Erase(new SKColor(200, 120, 40));
        using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, png.ToArray());
        return path;
    }

    private static (SKEncodedImageFormat Format, int Height) Read(string path)
    {
        using var codec = SKCodec.Create(path);
        return (codec.EncodedFormat, codec.Info.Height);
    }

    [Theory]
    [InlineData("grid.jpg", SKEncodedImageFormat.Jpeg)]
    [InlineData("grid.JPEG", SKEncodedImageFormat.Jpeg)]
    [InlineData("grid.webp", SKEncodedImageFormat.Webp)]
    [InlineData("grid.png", SKEncodedImageFormat.Png)]
    public void TheExtensionPicksTheFormat(string name, SKEncodedImageFormat format)
    {
        string dir = TempDir(), output = Path.Combine(dir, name);
        var (code, lines) = CliRun.InProcess("reconstruct", "--checkpoint", Checkpoint(dir), "--output", output, Image(Path.Combine(dir, "a.png")));
        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Equal((format, OneRowHeight), Read(output));
    }

    [Fact]
    public void AnExtensionWithoutAnEncoderIsRefusedBeforeTheModelIsBuilt()
    {
        string dir = TempDir(), output = Path.Combine(dir, "grid.gif");
        // The checkpoint is no checkpoint: the extension is refused before it is read.
        string error = CliRun.AssertOneError(CliRun.InProcess("reconstruct", "--checkpoint", CliRun.FinetuneConfig, "--output", output), 2);
        Assert.Equal($"{output}: cannot write a reconstruction grid as '.gif'; the extension picks the format: .png, .jpg, .jpeg or .webp", error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AnUnreadableImageInTheDataFolderIsNamedAndNotStoodInForByAnother()
    {
        string dir = TempDir(), data = Path.Combine(dir, "data"), output = Path.Combine(dir, "grid.png");
        Directory.CreateDirectory(data);
        Image(Path.Combine(data, "a_good.png"));
        string bad = Path.Combine(data, "b_bad.png");
        File.WriteAllText(bad, "not a png");

        var (code, lines) = CliRun.InProcess("reconstruct", "--checkpoint", Checkpoint(dir), "--data-path", data, "--count", "2", "--output", output);

        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Contains(lines, l => l.StartsWith("warning: skipped an unreadable image: ") && l.Contains(bad));
        Assert.Equal(OneRowHeight, Read(output).Height);   // the good image once, not twice
    }

    [Fact]
    public void AnUnreadableImageFileIsNamedAndTheOthersAreShown()
    {
        string dir = TempDir(), output = Path.Combine(dir, "grid.png");
        string missing = Path.Combine(dir, "missing.png");

        var (code, lines) = CliRun.InProcess("reconstruct", "--checkpoint", Checkpoint(dir), "--output", output, Image(Path.Combine(dir, "a.png")), missing);

        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Contains($"warning: skipped an unreadable image: {missing}: image not found", lines);
        Assert.Equal(OneRowHeight, Read(output).Height);
    }
}
