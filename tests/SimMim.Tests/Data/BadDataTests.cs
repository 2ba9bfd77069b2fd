using SimMim.Data;
using SimMim.Masking;

namespace SimMim.Tests.Data;

/// <summary>
/// What real image folders contain besides clean 8-bit RGB: each file either decodes correctly or is skipped with a
/// counted warning that names it and says why; a folder with nothing usable is one clear error.
/// </summary>
public class BadDataTests
{
    // Made with Debian's python3-pil 9.4 (CMYK JPEG, palette PNG with a transparent entry, gray+alpha PNG) and by
    // hand (16-bit PNGs: IHDR bit depth 16, zlib-compressed rows). Expected pixels are PIL's convert('RGB'), except
    // for 16-bit images, which PIL clips to 255 and we scale to 8 bits (the high byte).
    private const string CmykJpeg =
        "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwABAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB/8AAFAgACAAIBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9+v8Agud/wQx/4fR/8Mu/8ZRf8M2f8M2f8Lt/5ol/wuL/AITT/hcX/Co/+qufCz/hHP8AhHP+FWf9R3+1/wC3f+YX/Zf/ABMf6+P2F/26P+G0v+Fpf8Wu/wCFa/8ACtf+EI/5nf8A4TH+2v8AhMf+Eu/6lHwr/Z39nf8ACK/9P/2z7f8A8uv2X/SP36/4IY/8Fzv+H0f/AA1F/wAYu/8ADNn/AAzZ/wAKS/5rb/wuL/hNP+Fxf8Lc/wCqR/Cz/hHP+Ec/4VZ/1Hf7X/t3/mF/2X/xMf6aP+Ctf/BWv/h1t/woD/iwH/C8/wDhef8AwtX/AJqr/wAKy/4Rb/hWX/Ct/wDqm/xB/tv+2/8AhYP/AFCP7N/sj/l/+3/6F//Z";

    private const string Rgb16Png =
        "iVBORw0KGgoAAAANSUhEUgAAAAQAAAACEAIAAACgWjZ3AAAAK0lEQVR4nGNgAIP//yF0A4RiOHGCgfkF+wXuHf/BgJGB8T/TfwPL6AXt7AA4eRCCW2uhcQAAAABJRU5ErkJggg==";

    private const string Gray16Png =
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAIEAAAAACx9D0UAAAANElEQVR4nGNkYGB+wYIEGeUdWF6wvEAShAiwIIShAi/gwgoOqGawyDuwOOA1g/HWARQNLwCTWTTnXKSCagAAAABJRU5ErkJggg==";

    private const string PalettePng =
        "iVBORw0KGgoAAAANSUhEUgAAAAQAAAABAgMAAACEUudeAAAADFBMVEX/AAAA/wAAAP8JCQlccX6GAAAAAnRSTlP/AOW3MEoAAAAKSURBVHjaY5AGAAAdABwjfI+sAAAAAElFTkSuQmCC";

    private const string GrayAlphaPng =
        "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAQAAAAD+Fb1AAAAFklEQVR4nGP0TWFgYGBgYGBiYMDFAAAYgwC5OI+DRwAAAABJRU5ErkJggg==";

    private static string Write(string path, string base64)
    {
        File.WriteAllBytes(path, Convert.FromBase64String(base64));
        return path;
    }

    private static byte[] Pixel(RgbImage image, int x, int y) => image.Pixels[((y * image.Width + x) * 3)..((y * image.Width + x) * 3 + 3)];

    private static PretrainLoader Loader(IImageDataset dataset, int batchSize, int workers, double maxBadFraction = 1.0) =>
        new(dataset, new PretrainTransform(16), new RandomMaskGenerator(16, 8, 4, 0.5), batchSize, seed: 5, workers,
            maxBadFraction: maxBadFraction);

    private static List<float[]> Images(PretrainLoader loader)
    {
        var images = new List<float[]>();
        foreach (var batch in loader.Epoch(0))
        {
            using (batch) images.Add(batch.Images.data<float>().ToArray());
        }
        return images;
    }

    [Fact]
    public void CmykSixteenBitPaletteAndGrayAlphaImagesDecodeToTheExpectedRgb()
    {
        using var dir = new DataTempDir();
        var cmyk = ImageDecoder.Decode(Write(dir.Combine("cmyk.jpg"), CmykJpeg));
        // Quadrants C,M,Y,K = 0 | C = 255 | M = 128, Y = 255 | K = 200, as PIL converts them.
        Assert.Equal(new byte[] { 255, 255, 255 }, Pixel(cmyk, 0, 0));
        Assert.Equal(new byte[] { 0, 255, 255 }, Pixel(cmyk, 4, 0));
        Assert.Equal(new byte[] { 255, 127, 0 }, Pixel(cmyk, 0, 4));
        Assert.Equal(new byte[] { 55, 55, 55 }, Pixel(cmyk, 4, 4));

        var rgb16 = ImageDecoder.Decode(Write(dir.Combine("rgb16.png"), Rgb16Png));
        Assert.Equal(new byte[] { 255, 0, 0 }, Pixel(rgb16, 1, 0));                 // 65535, 0, 0
        Assert.Equal(new byte[] { 0, 128, 0 }, Pixel(rgb16, 2, 0));                 // 0, 32768, 0
        Assert.Equal(new byte[] { 48, 91, 135 }, Pixel(rgb16, 3, 1));               // 12345, 23456, 34567

        var gray16 = ImageDecoder.Decode(Write(dir.Combine("gray16.png"), Gray16Png));
        Assert.Equal(new byte[] { 125, 125, 125 }, Pixel(gray16, 0, 4));            // 32000 → 125; PIL: 255

        var palette = ImageDecoder.Decode(Write(dir.Combine("palette.png"), PalettePng));
        Assert.Equal(new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9 }, palette.Pixels);   // entry 1 is transparent: colour kept

        var grayAlpha = ImageDecoder.Decode(Write(dir.Combine("la.png"), GrayAlphaPng));
        Assert.Equal(new byte[] { 77, 77, 77 }, Pixel(grayAlpha, 3, 3));
    }

    [Fact]
    public void EachKindOfBadFileIsSkippedOnceWithItsReasonAndBatchesStayFullAndDeterministic()
    {
        using var dir = new DataTempDir();
        string good = Write(dir.Combine("a_good.png"), PalettePng);
        byte[] valid = Convert.FromBase64String(Rgb16Png);
        File.WriteAllBytes(dir.Combine("b_corrupt.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3, 4, 5, 6]);
        File.WriteAllBytes(dir.Combine("c_truncated.png"), valid[..(valid.Length - 30)]);
        File.WriteAllBytes(dir.Combine("d_empty.png"), []);
        File.WriteAllText(dir.Combine("e_text.png"), "this is not a picture");
        File.CreateSymbolicLink(dir.Combine("f_dangling.jpg"), dir.Combine("gone.jpg"));
        File.CreateSymbolicLink(dir.Combine("g_loop.jpg"), dir.Combine("g_loop.jpg"));
        Write(dir.Combine("h_good.png"), GrayAlphaPng);
        File.WriteAllText(dir.Combine("notes.txt"), "not an image");
        File.WriteAllText(dir.Combine("scan.tif"), "II*");
        dir.CreateDirectory("sub");
        File.CreateSymbolicLink(dir.Combine("sub", "up"), dir.Path);            // a folder loop

        var dataset = new ImageFolderDataset(dir.Path);
        Assert.Equal(8, dataset.Count);
        Assert.Contains(dataset.Warnings, w => w.StartsWith("ignored 1 files that are not images") && w.Contains("notes.txt"));
        Assert.Contains(dataset.Warnings, w => w.StartsWith("skipped 1 images in formats this build cannot decode") && w.Contains("scan.tif"));
        Assert.Contains(dataset.Warnings, w => w.StartsWith("did not follow 1 symbolic links that loop") && w.Contains(dir.Combine("sub", "up")));

        using var inline = Loader(dataset, batchSize: 2, workers: 0);
        using var three = Loader(dataset, batchSize: 2, workers: 3);
        var batches = Images(inline);
        Assert.Equal(batches, Images(three));
        Assert.Equal(4, batches.Count);
        Assert.All(batches, b => Assert.Equal(2 * 3 * 16 * 16, b.Length));
        Assert.Equal(6, inline.Skipped.BadCount);
        Assert.Equal(6, inline.Skipped.TakeStandInCount());
        var warnings = inline.Skipped.TakeWarnings();
        Assert.Equal(6, warnings.Count);
        Assert.All(warnings, w => Assert.StartsWith("skipped an unreadable image: ", w));
        Assert.Contains(warnings, w => w.Contains(dir.Combine("d_empty.png")) && w.Contains("the file is empty"));
        Assert.Contains(warnings, w => w.Contains($"{dir.Combine("f_dangling.jpg")}: image not found: it is a symbolic link to "));
        Assert.Contains(warnings, w => w.Contains($"{dir.Combine("g_loop.jpg")}: image cannot be read (Too many levels of symbolic links"));
        Assert.Contains(warnings, w => w.Contains(dir.Combine("b_corrupt.jpg")));
        Assert.Contains(warnings, w => w.Contains(dir.Combine("c_truncated.png")));
        Assert.Contains(warnings, w => w.Contains(dir.Combine("e_text.png")) && w.Contains("not an image"));
        Assert.DoesNotContain(warnings, w => w.Contains(good));
    }

    [Fact]
    public void ImagesSmallerThanTheCropAreUpsampled()
    {
        using var dir = new DataTempDir();
        Write(dir.Combine("tiny.png"), PalettePng);       // 4×1 pixels, cropped to 16×16
        using var loader = Loader(new ImageFolderDataset(dir.Path), batchSize: 1, workers: 0);
        var image = Assert.Single(Images(loader));
        Assert.Equal(3 * 16 * 16, image.Length);
        Assert.All(image, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0, loader.Skipped.BadCount);
    }

    [Fact]
    public void AnEmptyClassFolderKeepsItsLabelWithAWarning()
    {
        using var dir = new DataTempDir();
        Write(Path.Combine(dir.CreateDirectory("a"), "x.png"), PalettePng);
        string empty = dir.CreateDirectory("b");
        Write(Path.Combine(dir.CreateDirectory("c"), "y.png"), PalettePng);

        var dataset = new ImageFolderDataset(dir.Path);
        Assert.Equal(["a", "b", "c"], dataset.ClassNames);
        Assert.Equal([0, 2], Enumerable.Range(0, dataset.Count).Select(dataset.Label));
        Assert.Contains(dataset.Warnings, w => w.Contains(empty) && w.Contains("label 1 stays unused"));
    }

    [Fact]
    public void SymlinkedClassFoldersAreFollowedAndAreNotLoops()
    {
        using var outside = new DataTempDir();
        Write(outside.Combine("x.png"), PalettePng);
        using var dir = new DataTempDir();
        Directory.CreateSymbolicLink(dir.Combine("a"), outside.Path);
        Directory.CreateSymbolicLink(dir.Combine("b"), outside.Path);   // the same folder twice is not a loop

        var dataset = new ImageFolderDataset(dir.Path);
        Assert.Equal([0, 1], Enumerable.Range(0, dataset.Count).Select(dataset.Label));
        Assert.Empty(dataset.Warnings);
    }

    [Fact]
    public void ADataSetWithNothingUsableIsOneClearError()
    {
        using var dir = new DataTempDir();
        File.WriteAllText(dir.Combine("a.jpg"), "x");
        File.WriteAllBytes(dir.Combine("b.png"), []);
        using var loader = Loader(new ImageFolderDataset(dir.Path), batchSize: 1, workers: 2);
        var e = Assert.Throws<DataException>(() => Images(loader));
        Assert.StartsWith("no readable image in the data set: all 2 failed to load (e.g. ", e.Message);
        Assert.Contains(dir.Combine("a.jpg"), e.Message);

        using var noImages = new DataTempDir();
        File.WriteAllText(noImages.Combine("readme.md"), "x");
        var listing = Assert.Throws<DataException>(() => new ImageFolderDataset(noImages.Path));
        Assert.Contains("ignored 1 files that are not images", listing.Message);
    }

    [Theory]
    [InlineData(0.2, true)]    // 1 bad of 4 is more than 20 %
    [InlineData(0.25, false)]
    public void MaxBadFractionTurnsSkipsIntoAFailure(double maxBadFraction, bool fails)
    {
        using var dir = new DataTempDir();
        foreach (string name in new[] { "a.png", "b.png", "d.png" }) Write(dir.Combine(name), PalettePng);
        File.WriteAllText(dir.Combine("c.png"), "x");
        using var loader = Loader(new ImageFolderDataset(dir.Path), batchSize: 4, workers: 0, maxBadFraction);
        var e = Record.Exception(() => Images(loader));
        if (!fails)
        {
            Assert.Null(e);
            return;
        }
        var error = Assert.IsType<DataException>(e);
        Assert.StartsWith("1 of the 4 images are unreadable, more than DATA.MAX_BAD_FRACTION (0.2) allows", error.Message);
        Assert.Contains(dir.Combine("c.png"), error.Message);
    }

    [Fact]
    public void EvaluationLeavesUnreadableImagesOut()
    {
        using var dir = new DataTempDir();
        foreach (string name in new[] { "a.png", "b.png", "d.png" }) Write(dir.Combine(name), PalettePng);
        File.WriteAllText(dir.Combine("c.png"), "x");
        using var loader = ClassificationLoader.ForEvaluation(new ImageFolderDataset(dir.Path), 16, crop: true, batchSize: 2, workers: 1);
        long count = 0;
        foreach (var batch in loader.Epoch())
        {
            using (batch) count += batch.Labels.shape[0];
        }
        Assert.Equal(3, count);
        Assert.Single(loader.Skipped.TakeWarnings());
    }
}
