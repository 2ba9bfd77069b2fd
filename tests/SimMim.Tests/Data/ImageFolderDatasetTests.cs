using SimMim.Data;
using SkiaSharp;

namespace SimMim.Tests.Data;

public class ImageFolderDatasetTests
{
    private static void WriteSkia(string path, SKEncodedImageFormat format, SKColorType colorType, SKColor color,
        int width = 4, int height = 3)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, colorType, SKAlphaType.Unpremul));
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                bitmap.SetPixel(x, y, color);
            }
        }
        using var data = bitmap.Encode(format, 100);
        Assert.NotNull(data);
        File.WriteAllBytes(path, data.ToArray());
    }

    // Skia encodes neither BMP nor GIF, so these two are written byte by byte.
    private static void WriteBmp(string path, byte r, byte g, byte b)
    {
        const int W = 2, H = 2, Row = 8; // 2 px · 3 bytes, padded to 4
        var bytes = new byte[54 + Row * H];
        "BM"u8.CopyTo(bytes);
        BitConverter.TryWriteBytes(bytes.AsSpan(2), bytes.Length);
        BitConverter.TryWriteBytes(bytes.AsSpan(10), 54);
        BitConverter.TryWriteBytes(bytes.AsSpan(14), 40);
        BitConverter.TryWriteBytes(bytes.AsSpan(18), W);
        BitConverter.TryWriteBytes(bytes.AsSpan(22), H);
        BitConverter.TryWriteBytes(bytes.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(bytes.AsSpan(28), (short)24);
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                int o = 54 + y * Row + x * 3;
                bytes[o] = b;
                bytes[o + 1] = g;
                bytes[o + 2] = r;
            }
        }
        File.WriteAllBytes(path, bytes);
    }

    // A 1×1 GIF89a whose single pixel is palette entry 0 = (r, g, b); LZW data 0x44 0x01 is clear, 0, end.
    private static void WriteGif(string path, byte r, byte g, byte b) =>
        File.WriteAllBytes(path,
        [
            .. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, r, g, b, 0, 0, 0,
            0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
        ]);

    private static byte[] PixelAt(RgbImage image, int x, int y) =>
        image.Pixels[((y * image.Width + x) * 3)..((y * image.Width + x) * 3 + 3)];

    [Fact]
    public void ClassesAreSortedFoldersAndFilesAreFoundRecursively()
    {
        using var dir = new DataTempDir();
        string b = dir.CreateDirectory("b_cats", "nested", "deeper");
        string a = dir.CreateDirectory("a_dogs");
        dir.CreateDirectory(".hidden");
        var red = new SKColor(255, 0, 0);
        WriteSkia(Path.Combine(a, "2.png"), SKEncodedImageFormat.Png, SKColorType.Rgba8888, red);
        WriteSkia(Path.Combine(a, "1.png"), SKEncodedImageFormat.Png, SKColorType.Rgba8888, red);
        WriteSkia(Path.Combine(b, "x.PNG"), SKEncodedImageFormat.Png, SKColorType.Rgba8888, red);
        File.WriteAllText(Path.Combine(a, "notes.txt"), "not an image");

        var ds = new ImageFolderDataset(dir.Path);
        Assert.Equal(["a_dogs", "b_cats"], ds.ClassNames);
        Assert.Equal(3, ds.Count);
        Assert.EndsWith("1.png", ds.Describe(0));
        Assert.EndsWith("2.png", ds.Describe(1));
        Assert.EndsWith("x.PNG", ds.Describe(2));
        Assert.Equal([0, 0, 1], Enumerable.Range(0, 3).Select(ds.Label));
    }

    [Fact]
    public void EveryFormatDecodesToRgb()
    {
        using var dir = new DataTempDir();
        var color = new SKColor(200, 100, 50);
        WriteSkia(dir.Combine("a.png"), SKEncodedImageFormat.Png, SKColorType.Rgba8888, color);
        WriteSkia(dir.Combine("b.jpg"), SKEncodedImageFormat.Jpeg, SKColorType.Rgba8888, color);
        WriteSkia(dir.Combine("c.webp"), SKEncodedImageFormat.Webp, SKColorType.Rgba8888, color);
        WriteBmp(dir.Combine("d.bmp"), 200, 100, 50);
        WriteGif(dir.Combine("e.gif"), 200, 100, 50);

        var ds = new ImageFolderDataset(dir.Path);
        Assert.Equal(5, ds.Count);
        Assert.Single(ds.ClassNames);
        for (int i = 0; i < ds.Count; i++)
        {
            RgbImage image = ds.Load(i);
            bool lossy = ds.Describe(i).EndsWith(".jpg") || ds.Describe(i).EndsWith(".webp");
            byte[] pixel = PixelAt(image, 0, 0);
            Assert.Equal(image.Width * image.Height * 3, image.Pixels.Length);
            Assert.InRange(pixel[0], 200 - (lossy ? 4 : 0), 200 + (lossy ? 4 : 0));
            Assert.InRange(pixel[1], 100 - (lossy ? 4 : 0), 100 + (lossy ? 4 : 0));
            Assert.InRange(pixel[2], 50 - (lossy ? 4 : 0), 50 + (lossy ? 4 : 0));
        }
    }

    [Fact]
    public void GrayscaleIsReplicatedAndAlphaIsDropped()
    {
        using var dir = new DataTempDir();
        WriteSkia(dir.Combine("gray.png"), SKEncodedImageFormat.Png, SKColorType.Gray8, new SKColor(77, 77, 77));
        // PIL's convert('RGB') drops alpha and keeps the stored colour; it does not composite.
        WriteSkia(dir.Combine("rgba.png"), SKEncodedImageFormat.Png, SKColorType.Rgba8888, new SKColor(10, 220, 130, 60));

        var ds = new ImageFolderDataset(dir.Path);
        Assert.Equal(new byte[] { 77, 77, 77 }, PixelAt(ds.Load(0), 3, 2));
        Assert.Equal(new byte[] { 10, 220, 130 }, PixelAt(ds.Load(1), 3, 2));
    }

    [Fact]
    public void MissingOrImagelessFoldersAndCorruptFilesThrowDataExceptionNamingThePath()
    {
        using var dir = new DataTempDir();
        string missing = dir.Combine("nope");
        Assert.Contains(missing, Assert.Throws<DataException>(() => new ImageFolderDataset(missing)).Message);

        string empty = dir.CreateDirectory("empty");
        Assert.Contains(empty, Assert.Throws<DataException>(() => new ImageFolderDataset(empty)).Message);

        string onlyEmptyClasses = dir.CreateDirectory("classes");
        string hollow = dir.CreateDirectory("classes", "b");
        var e = Assert.Throws<DataException>(() => new ImageFolderDataset(onlyEmptyClasses));
        Assert.Contains(onlyEmptyClasses, e.Message);
        Assert.Contains(hollow, e.Message);

        string corrupt = dir.CreateDirectory("corrupt");
        string bad = Path.Combine(corrupt, "bad.jpg");
        File.WriteAllBytes(bad, [1, 2, 3, 4, 5]);
        var ds = new ImageFolderDataset(corrupt);
        Assert.Contains(bad, Assert.Throws<DataException>(() => ds.Load(0)).Message);
    }

    [Fact]
    public void FactoryPicksTheDataSetKind()
    {
        using var dir = new DataTempDir();
        Assert.IsType<ProceduralDataset>(DatasetFactory.Open(""));
        Assert.IsType<ProceduralDataset>(DatasetFactory.Open("builtin"));
        string missing = dir.Combine("missing");
        Assert.Equal($"{missing}: data path not found", Assert.Throws<DataException>(() => DatasetFactory.Open(missing)).Message);
        WriteBmp(dir.Combine("x.bmp"), 1, 2, 3);
        Assert.IsType<ImageFolderDataset>(DatasetFactory.Open(dir.Path));
        Assert.Throws<DataException>(() => DatasetFactory.Open(dir.Combine("x.bmp")));
    }
}
