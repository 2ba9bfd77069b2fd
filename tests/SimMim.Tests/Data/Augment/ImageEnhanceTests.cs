using SimMim.Data.Augment;

namespace SimMim.Tests.Data.Augment;

/// <summary>Hand-worked blends (each value also checked against Pillow 9.4).</summary>
public class ImageEnhanceTests
{
    [Theory]
    [InlineData(255, 0, 0, 76)]       // (255·19595 + 2¹⁵) >> 16 = 76.7 → 76
    [InlineData(0, 255, 0, 150)]
    [InlineData(0, 0, 255, 29)]
    [InlineData(255, 255, 255, 255)]
    [InlineData(100, 150, 200, 141)]  // 141.25; the older (299, 587, 114)/1000 truncation would give 140
    public void LumaIsPillowsRoundedRec601(int r, int g, int b, int expected)
    {
        Assert.Equal(expected, ImageEnhance.Luma(r, g, b));
    }

    [Fact]
    public void BrightnessBlendsWithBlackAndTruncates()
    {
        byte[] half = [200, 101, 7, 255, 0, 1];
        ImageEnhance.Brightness(half, 0.5);
        Assert.Equal([100, 50, 3, 127, 0, 0], half);          // 50.5 → 50, 127.5 → 127
        byte[] more = [200, 101, 7, 255, 0, 1];
        ImageEnhance.Brightness(more, 1.5);
        Assert.Equal([255, 151, 10, 255, 0, 1], more);        // extrapolation clips at 255
    }

    [Fact]
    public void ContrastBlendsWithTheRoundedMeanOfTheLImage()
    {
        // L = 141 and 0 → mean 70.5 → int(70.5 + 0.5) = 71; v ↦ 71 + f·(v − 71), truncated.
        byte[] lower = [100, 150, 200, 0, 0, 0];
        ImageEnhance.Contrast(lower, 0.5);
        Assert.Equal([85, 110, 135, 35, 35, 35], lower);
        byte[] higher = [100, 150, 200, 0, 0, 0];
        ImageEnhance.Contrast(higher, 2.0);
        Assert.Equal([129, 229, 255, 0, 0, 0], higher);       // 329 → 255, −71 → 0
    }

    [Theory]
    [InlineData(0.0, new byte[] { 141, 141, 141 })]     // the grey value itself
    [InlineData(0.5, new byte[] { 120, 145, 170 })]     // 141 + 0.5·(v − 141): 120.5, 145.5, 170.5
    [InlineData(1.5, new byte[] { 79, 154, 229 })]      // 79.5, 154.5, 229.5
    [InlineData(1.0, new byte[] { 100, 150, 200 })]
    public void ColorBlendsEachPixelWithItsGrey(double factor, byte[] expected)
    {
        byte[] pixels = [100, 150, 200, 0, 0, 0];
        ImageEnhance.Color(pixels, factor);
        Assert.Equal([.. expected, 0, 0, 0], pixels);
    }

    [Fact]
    public void SharpnessBlendsWithTheSmoothedImageAndKeepsTheBorder()
    {
        // 3×3, centre (90, 0, 255) in a ring of (12, 0, 0). SMOOTH centre: R (8·12 + 5·90)/13 = 42, B 5·255/13 = 98.1.
        byte[] Image()
        {
            var p = new byte[27];
            for (int i = 0; i < 9; i++)
                p[3 * i] = 12;
            p[12] = 90;
            p[14] = 255;
            return p;
        }
        var scratch = new byte[27];
        var smooth = Image();
        ImageEnhance.Sharpness(smooth, 3, 3, 0.0, scratch);
        var sharp = Image();
        ImageEnhance.Sharpness(sharp, 3, 3, 2.0, scratch);
        Assert.Equal([42, 0, 98], smooth[12..15]);
        Assert.Equal([138, 0, 255], sharp[12..15]);           // 42 + 2·48; 98 + 2·157 clipped
        var ring = Image();
        for (int i = 0; i < 27; i++)
        {
            if (i is < 12 or >= 15)
            {
                Assert.Equal(ring[i], smooth[i]);
                Assert.Equal(ring[i], sharp[i]);
            }
        }

        byte[] tiny = [1, 2, 3, 200, 100, 0, 9, 9, 9, 40, 50, 60];   // 2×2: PIL's filter copies images under 3×3
        ImageEnhance.Sharpness(tiny, 2, 2, 0.0, new byte[12]);
        Assert.Equal([1, 2, 3, 200, 100, 0, 9, 9, 9, 40, 50, 60], tiny);
    }

    [Theory]
    [InlineData(0, 255, 0.25f, 63)]      // 63.75 truncated
    [InlineData(200, 100, 0.5f, 150)]
    [InlineData(100, 200, 2.5f, 255)]    // 350 clipped
    [InlineData(100, 20, 1.5f, 0)]       // −20 clipped
    [InlineData(50, 60, -1.0f, 40)]      // negative factors extrapolate the other way
    public void BlendIsPilsFloat32FormulaTruncated(int degenerate, int value, float alpha, int expected)
    {
        Assert.Equal(expected, ImageEnhance.Blend(degenerate, value, alpha));
    }
}
