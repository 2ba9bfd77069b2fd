using SimMim.Data;
using SimMim.IO;
using SimMim.Models;
using SkiaSharp;
using static TorchSharp.torch;

namespace SimMim.Visualization;

/// <summary>
/// An image (PNG, JPEG or WebP, by the file's extension) with one row per image and four columns: original | masked input (masked pixels grey) | reconstruction |
/// reconstruction pasted into the visible pixels — the figure of the SimMIM paper.
/// </summary>
public static class ReconstructionGrid
{
    private const int Gap = 2;
    private const int MinCellSize = 96;

    // For JPEG and WebP (PNG ignores it): high enough that compression artefacts do not pass for reconstruction errors.
    private const int Quality = 95;

    /// <exception cref="ConfigException">The extension is not one of <see cref="FormatOf"/>'s.</exception>
    /// <exception cref="OutputException">The file cannot be written.</exception>
    public static void Write(SimMimModel model, ReconstructionSamples samples, string path)
    {
        FormatOf(path);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var output = model.call(samples.Images, samples.Masks);
            int n = (int)samples.Images.shape[0], size = (int)samples.Images.shape[2];
            int patch = size / (int)samples.Masks.shape[1];
            float[] original = samples.Images.data<float>().ToArray();
            float[] reconstruction = output.Reconstruction.detach().cpu().contiguous().data<float>().ToArray();
            long[] masks = samples.Masks.contiguous().data<long>().ToArray();
            Render(original, reconstruction, masks, n, size, patch, path);
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }

    /// <summary>Draws the grid from normalised (N,3,S,S) arrays and an (N,S/patch,S/patch) mask.</summary>
    public static void Render(float[] original, float[] reconstruction, long[] masks, int n, int size, int patch, string path)
    {
        SKEncodedImageFormat format = FormatOf(path);
        int scale = Math.Max(1, (MinCellSize + size - 1) / size);
        int cell = size * scale, grid = size / patch;
        using var bitmap = new SKBitmap(new SKImageInfo(4 * cell + 5 * Gap, n * cell + (n + 1) * Gap, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.White);
        for (int i = 0; i < n; i++)
        {
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    bool masked = masks[i * grid * grid + y / patch * grid + x / patch] != 0;
                    var source = Pixel(original, i, x, y, size);
                    var predicted = Pixel(reconstruction, i, x, y, size);
                    var grey = new SKColor(128, 128, 128);
                    SKColor[] columns = [source, masked ? grey : source, predicted, masked ? predicted : source];
                    for (int c = 0; c < 4; c++)
                        Fill(bitmap, Gap + c * (cell + Gap) + x * scale, Gap + i * (cell + Gap) + y * scale, scale, columns[c]);
                }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var encoded = image.Encode(format, Quality) ?? throw new InvalidOperationException($"SkiaSharp could not encode {format}");
        UserPaths.ReplaceAtomically(path, "the reconstruction grid", stream => encoded.SaveTo(stream));
    }

    /// <summary>The format <paramref name="path"/>'s extension names: .png, .jpg or .jpeg, .webp (any case).</summary>
    /// <exception cref="ConfigException">Any other extension: the bytes would not be what the name says.</exception>
    public static SKEncodedImageFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => SKEncodedImageFormat.Png,
        ".jpg" or ".jpeg" => SKEncodedImageFormat.Jpeg,
        ".webp" => SKEncodedImageFormat.Webp,
        var other => throw new ConfigException(
            $"{path}: cannot write a reconstruction grid as {(other.Length == 0 ? "a file without an extension" : $"'{other}'")}; " +
            "the extension picks the format: .png, .jpg, .jpeg or .webp"),
    };

    private static SKColor Pixel(float[] data, int image, int x, int y, int size)
    {
        int plane = size * size, offset = image * 3 * plane + y * size + x;
        return new SKColor(
            ToByte(ImageNetNormalization.Denormalize(data[offset], 0)),
            ToByte(ImageNetNormalization.Denormalize(data[offset + plane], 1)),
            ToByte(ImageNetNormalization.Denormalize(data[offset + 2 * plane], 2)));
    }

    private static byte ToByte(float unit) => (byte)Math.Clamp(MathF.Round(unit * 255f), 0f, 255f);

    private static void Fill(SKBitmap bitmap, int left, int top, int scale, SKColor color)
    {
        for (int dy = 0; dy < scale; dy++)
            for (int dx = 0; dx < scale; dx++)
                bitmap.SetPixel(left + dx, top + dy, color);
    }
}
