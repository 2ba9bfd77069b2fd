using SimMim.Data;
using SimMim.Data.Augment;

namespace SimMim.Tests.Data.Augment;

/// <summary>Hand-worked geometry (each case also checked against Pillow 9.4).</summary>
public class AffineTransformTests
{
    private static readonly byte[] Grey128 = [128, 128, 128];

    // A w×h image whose pixel (x, y) is (10x + y, 100 + y, 200 − x): every pixel tells where it came from.
    private static byte[] Numbered(int w, int h)
    {
        var p = new byte[3 * w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = 3 * (y * w + x);
                p[i] = (byte)(10 * x + y);
                p[i + 1] = (byte)(100 + y);
                p[i + 2] = (byte)(200 - x);
            }
        }
        return p;
    }

    private static byte[] Pixel(byte[] image, int w, int x, int y) => image[(3 * (y * w + x))..(3 * (y * w + x) + 3)];

    private static byte[] Transform(byte[] source, int w, int h, double[] matrix, ResampleFilter filter, byte[]? fill = null)
    {
        var output = new byte[source.Length];
        AffineTransform.Apply(source, output, w, h, matrix, filter, fill ?? Grey128);
        return output;
    }

    [Theory]
    [InlineData(ResampleFilter.Bicubic)]
    [InlineData(ResampleFilter.Bilinear)]
    public void AWholePixelTranslationCopiesAndFillsTheUncoveredSide(ResampleFilter filter)
    {
        int w = 4, h = 3;
        var source = Numbered(w, h);
        // TranslateXRel 0.25 on width 4: one pixel; output (x, y) reads (x + 1, y), the last column is uncovered.
        var left = Transform(source, w, h, [1, 0, 0.25 * w, 0, 1, 0], filter);
        // TranslateYRel −1/3 on height 3: output (x, y) reads (x, y − 1), the first row is uncovered.
        var down = Transform(source, w, h, [1, 0, 0, 0, 1, -1.0 / 3.0 * h], filter);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                Assert.Equal(x == w - 1 ? Grey128 : Pixel(source, w, x + 1, y), Pixel(left, w, x, y));
                Assert.Equal(y == 0 ? Grey128 : Pixel(source, w, x, y - 1), Pixel(down, w, x, y));
            }
        }
    }

    [Fact]
    public void RotatingASquareBy90IsPilsTranspose()
    {
        int n = 3;
        var source = Numbered(n, n);
        var matrix = new double[6];
        Assert.True(AffineTransform.RotationMatrix(90, n, n, matrix));
        Assert.Equal([0.0, -1.0, 3.0, 1.0, 0.0, 0.0], matrix);   // cos and sin rounded to 15 decimals
        var rotated = Transform(source, n, n, matrix, ResampleFilter.Bicubic);
        // Counter-clockwise: output (x, y) is source (n − 1 − y, x).
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                Assert.Equal(Pixel(source, n, n - 1 - y, x), Pixel(rotated, n, x, y));
    }

    [Fact]
    public void RotatingAWideImageBy90FillsWhatFallsOutside()
    {
        int w = 4, h = 2;
        var source = Numbered(w, h);
        var matrix = new double[6];
        AffineTransform.RotationMatrix(90, w, h, matrix);
        var rotated = Transform(source, w, h, matrix, ResampleFilter.Bicubic);
        // About the centre (2, 1): output (x, y) reads (2 − y, x − 1); columns 0 and 3 map outside the 2 rows.
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                Assert.Equal(x is 0 or 3 ? Grey128 : Pixel(source, w, 2 - y, x - 1), Pixel(rotated, w, x, y));
    }

    [Fact]
    public void RotationMatrixFollowsPilsSignAndModuloConventions()
    {
        var matrix = new double[6];
        Assert.False(AffineTransform.RotationMatrix(0, 8, 8, matrix));      // PIL returns a copy
        Assert.False(AffineTransform.RotationMatrix(-360, 8, 8, matrix));
        // PIL rotates by −30 as by 330 (Python's modulo), whose cosine rounds one digit lower than 30°'s.
        Assert.True(AffineTransform.RotationMatrix(-30, 8, 8, matrix));
        Assert.Equal([0.866025403784438, 0.5], matrix[..2]);
        Assert.Equal([-0.5, 0.866025403784438], matrix[3..5]);
        Assert.Equal(4.0, matrix[0] * 4 + matrix[1] * 4 + matrix[2], 12);   // the centre stays put
        Assert.Equal(4.0, matrix[3] * 4 + matrix[4] * 4 + matrix[5], 12);
        Assert.True(AffineTransform.RotationMatrix(30, 8, 8, matrix));
        Assert.Equal([0.866025403784439, -0.5], matrix[..2]);
        Assert.Equal([0.5, 0.866025403784439], matrix[3..5]);
    }

    [Fact]
    public void BilinearShearInterpolatesBetweenNeighbours()
    {
        // ShearX 0.5 on 4×2, R rows [0 40 80 120] and [200 100 0 60]: row 0 samples x + 0.25, row 1 x + 0.75.
        byte[] source = [0, 7, 77, 40, 7, 77, 80, 7, 77, 120, 7, 77, 200, 7, 77, 100, 7, 77, 0, 7, 77, 60, 7, 77];
        var sheared = Transform(source, 4, 2, [1, 0.5, 0, 0, 1, 0], ResampleFilter.Bilinear, [1, 2, 3]);
        byte[] expected = [10, 7, 77, 50, 7, 77, 90, 7, 77, 120, 7, 77, 125, 7, 77, 25, 7, 77, 45, 7, 77, 1, 2, 3];
        Assert.Equal(expected, sheared);   // 120: the right edge is clamped; (1, 2, 3): sampled past it
    }

    [Fact]
    public void BicubicIsPilsSharpCubicAndTruncates()
    {
        // Half a pixel right on the row [0 0 100 100]: PIL's geometry bicubic (a = −1) overshoots to 112.5 → 112.
        byte[] source = [0, 7, 77, 0, 7, 77, 100, 7, 77, 100, 7, 77];
        var shifted = Transform(source, 4, 1, [1, 0, 0.5, 0, 1, 0], ResampleFilter.Bicubic, [1, 2, 3]);
        Assert.Equal([0, 7, 77, 50, 7, 77, 112, 7, 77, 1, 2, 3], shifted);
    }
}
