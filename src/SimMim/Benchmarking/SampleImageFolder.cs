using SimMim.IO;
using SkiaSharp;

namespace SimMim.Benchmarking;

/// <summary>
/// A temporary ImageFolder of real JPEG and PNG files (one class folder), for timing the input pipeline when no data
/// set is given: decoding real files is what the loader spends its time on, so synthetic tensors would not do.
/// Deleted on dispose.
/// </summary>
public sealed class SampleImageFolder : IDisposable
{
    private const string What = "the temporary folder of sample images (TMPDIR, else /tmp)";

    private SampleImageFolder(string root, int count)
    {
        Root = root;
        Count = count;
    }

    /// <summary>The folder to open as a data set.</summary>
    public string Root { get; }

    public int Count { get; }

    /// <summary>Writes <paramref name="count"/> size×size images, alternately JPEG (quality 90) and PNG, of smooth colour ramps plus noise.</summary>
    /// <exception cref="OutputException">The temporary folder cannot be created or written.</exception>
    public static SampleImageFolder Create(int count, int size, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        string root = UserPaths.CreateTemporaryDirectory("simmim-bench-images", What);
        try
        {
            string classDir = Path.Combine(root, "sample");
            UserPaths.CreateDirectory(classDir, What);
            var rng = new Random(seed);
            using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
            for (int i = 0; i < count; i++)
            {
                Paint(bitmap, rng);
                bool jpeg = i % 2 == 0;
                using var image = SKImage.FromBitmap(bitmap);
                using var encoded = image.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, jpeg ? 90 : 100);
                UserPaths.WriteFile(Path.Combine(classDir, $"{i:D5}.{(jpeg ? "jpg" : "png")}"), "a sample image", encoded.SaveTo);
            }
            return new SampleImageFolder(root, count);
        }
        catch
        {
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }

    private static void Paint(SKBitmap bitmap, Random rng)
    {
        int size = bitmap.Width;
        double r0 = rng.NextDouble(), g0 = rng.NextDouble(), b0 = rng.NextDouble(), angle = rng.NextDouble() * Math.PI;
        double dx = Math.Cos(angle) / size, dy = Math.Sin(angle) / size;
        var pixels = new SKColor[size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double t = x * dx + y * dy;
                byte Channel(double start) => (byte)Math.Clamp((start + t) % 1.0 * 255 + rng.Next(-24, 25), 0, 255);
                pixels[y * size + x] = new SKColor(Channel(r0), Channel(g0), Channel(b0));
            }
        }
        bitmap.Pixels = pixels;
    }
}
