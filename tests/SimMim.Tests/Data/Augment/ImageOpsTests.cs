using SimMim.Data.Augment;

namespace SimMim.Tests.Data.Augment;

public class ImageOpsTests
{
    private static byte[] Run(Action<byte[]> op, params byte[] pixels)
    {
        op(pixels);
        return pixels;
    }

    [Fact]
    public void InvertMirrorsEveryByte()
    {
        Assert.Equal([255, 254, 127, 0, 55, 248], Run(p => ImageOps.Invert(p), 0, 1, 128, 255, 200, 7));
    }

    [Theory]
    [InlineData(1, new byte[] { 128, 128, 0, 0, 128, 0 })]       // mask 1000_0000
    [InlineData(3, new byte[] { 224, 192, 64, 0, 128, 32 })]     // mask 1110_0000
    [InlineData(0, new byte[] { 0, 0, 0, 0, 0, 0 })]             // no bits kept: black (timm's level 10, increasing)
    [InlineData(-1, new byte[] { 0, 0, 0, 0, 0, 0 })]
    [InlineData(8, new byte[] { 255, 200, 77, 1, 128, 63 })]     // timm returns the image from 8 bits up
    public void PosterizeKeepsTheTopBits(int bits, byte[] expected)
    {
        Assert.Equal(expected, Run(p => ImageOps.Posterize(p, bits), 255, 200, 77, 1, 128, 63));
    }

    [Theory]
    [InlineData(26, new byte[] { 25, 229, 55, 0, 0, 155 })]      // m9 increasing: 256 − int(0.9·256) = 26
    [InlineData(256, new byte[] { 25, 26, 200, 0, 255, 100 })]   // above every byte: unchanged
    [InlineData(0, new byte[] { 230, 229, 55, 255, 0, 155 })]    // everything inverted
    public void SolarizeInvertsFromTheThresholdUp(int threshold, byte[] expected)
    {
        Assert.Equal(expected, Run(p => ImageOps.Solarize(p, threshold), 25, 26, 200, 0, 255, 100));
    }

    [Fact]
    public void SolarizeAddBrightensOnlyBelow128AndCapsAt255()
    {
        Assert.Equal([99, 127, 226, 128, 200, 156], Run(p => ImageOps.SolarizeAdd(p, 99), 0, 28, 127, 128, 200, 156));
        Assert.Equal([255, 130, 128], Run(p => ImageOps.SolarizeAdd(p, 200), 100, 130, 128));
    }

    [Fact]
    public void AutoContrastStretchesEachChannelOnItsOwn()
    {
        // R spans 10–61, so scale = 255/51 = 5 and v ↦ 5v − 50; G already spans 0–255; B has one value (left alone).
        byte[] image = [10, 0, 9, 20, 255, 9, 61, 128, 9, 30, 7, 9];
        ImageOps.AutoContrast(image);
        Assert.Equal([0, 0, 9, 50, 255, 9, 255, 128, 9, 100, 7, 9], image);
    }

    [Fact]
    public void EqualizeMapsAKnownHistogramAsPilDoes()
    {
        // 1020 pixels. R: 510 × 10, 255 × 50, 255 × 200 → step = (1020 − 255) // 255 = 3,
        // lut[v] = (3 // 2 + count below v) // 3: 10 → 0, 50 → 511 // 3 = 170, 200 → 766 // 3 = 255.
        // G: one value → unchanged. B: 100 × 5, 920 × 9 → step = 100 // 255 = 0 → unchanged.
        var image = new byte[1020 * 3];
        for (int i = 0; i < 1020; i++)
        {
            image[3 * i] = (byte)(i < 510 ? 10 : i < 765 ? 50 : 200);
            image[3 * i + 1] = 77;
            image[3 * i + 2] = (byte)(i < 100 ? 5 : 9);
        }
        ImageOps.Equalize(image);
        for (int i = 0; i < 1020; i++)
        {
            Assert.Equal(i < 510 ? 0 : i < 765 ? 170 : 255, image[3 * i]);
            Assert.Equal(77, image[3 * i + 1]);
            Assert.Equal(i < 100 ? 5 : 9, image[3 * i + 2]);
        }
    }

    [Fact]
    public void HistogramCountsEachChannelSeparately()
    {
        var histogram = new int[768];
        ImageOps.Histogram([1, 2, 3, 1, 5, 3], histogram);
        Assert.Equal(2, histogram[1]);
        Assert.Equal(1, histogram[256 + 2]);
        Assert.Equal(1, histogram[256 + 5]);
        Assert.Equal(2, histogram[512 + 3]);
        Assert.Equal(6, histogram.Sum());
    }
}
