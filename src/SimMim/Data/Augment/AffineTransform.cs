using System.Globalization;

namespace SimMim.Data.Augment;

/// <summary>
/// PIL's <c>Image.transform(size, AFFINE, matrix, resample, fillcolor)</c> and <c>Image.rotate</c> (Pillow 9.4) on
/// 8-bit RGB pixels (HWC), output the size of the input. The matrix maps each output pixel centre (x + ½, y + ½) to
/// the source point (a·x′ + b·y′ + c, d·x′ + e·y′ + f); a point outside the source keeps the fill colour, any other
/// is sampled with PIL's geometry filters (not its resize kernels): bilinear, or bicubic with a = −1, clamped at
/// the edges, truncated to a byte.
/// </summary>
internal static class AffineTransform
{
    /// <summary>
    /// Writes <paramref name="source"/> transformed by <paramref name="matrix"/> (a, b, c, d, e, f) to
    /// <paramref name="destination"/>.
    /// </summary>
    public static void Apply(ReadOnlySpan<byte> source, Span<byte> destination, int width, int height,
        ReadOnlySpan<double> matrix, ResampleFilter filter, ReadOnlySpan<byte> fill)
    {
        if (source.Length != 3 * width * height || destination.Length < source.Length)
            throw new ArgumentException($"{width}×{height} RGB needs {3 * width * height} bytes in and out");
        if (matrix.Length != 6 || fill.Length != 3)
            throw new ArgumentException("an affine matrix has 6 entries and a fill colour 3");
        double a0 = matrix[0], a1 = matrix[1], a2 = matrix[2], a3 = matrix[3], a4 = matrix[4], a5 = matrix[5];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double xo = x + 0.5, yo = y + 0.5;
                double xin = a0 * xo + a1 * yo + a2;
                double yin = a3 * xo + a4 * yo + a5;
                Span<byte> output = destination.Slice(3 * (y * width + x), 3);
                if (xin < 0.0 || xin >= width || yin < 0.0 || yin >= height)
                    fill.CopyTo(output);
                else if (filter == ResampleFilter.Bicubic)
                    Bicubic(source, width, height, xin, yin, output);
                else
                    Bilinear(source, width, height, xin, yin, output);
            }
        }
    }

    /// <summary>
    /// The source-from-destination matrix of <c>Image.rotate(degrees)</c> about the image centre (counter-clockwise,
    /// no expansion): PIL rounds cos and sin to 15 decimals. Returns false for a rotation by a multiple of 360°,
    /// which PIL returns as a copy.
    /// </summary>
    public static bool RotationMatrix(double degrees, int width, int height, Span<double> matrix)
    {
        double angle = degrees % 360.0;
        if (angle < 0)
            angle += 360.0;   // Python's float modulo takes the divisor's sign
        if (angle == 0)
            return false;
        // PIL turns 90°, 180° and (square) 270° into transposes; this matrix lands on pixel centres there, so it
        // samples the same pixels.
        double radians = -(angle * (Math.PI / 180.0));
        double cos = PythonRound15(Math.Cos(radians)), sin = PythonRound15(Math.Sin(radians));
        double negSin = PythonRound15(-Math.Sin(radians));
        double cx = width / 2.0, cy = height / 2.0;
        matrix[0] = cos;
        matrix[1] = sin;
        matrix[2] = cos * -cx + sin * -cy + 0.0 + cx;
        matrix[3] = negSin;
        matrix[4] = cos;
        matrix[5] = negSin * -cx + cos * -cy + 0.0 + cy;
        return true;
    }

    // Python's round(v, 15): correctly rounded to 15 decimals (the invariant "F15" format rounds the exact value).
    private static double PythonRound15(double value) =>
        double.Parse(value.ToString("F15", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    // Geometry.c bilinear_filter32RGB.
    private static void Bilinear(ReadOnlySpan<byte> source, int width, int height, double xin, double yin, Span<byte> output)
    {
        xin -= 0.5;
        yin -= 0.5;
        int x = (int)Math.Floor(xin), y = (int)Math.Floor(yin);
        double dx = xin - x, dy = yin - y;
        int stride = 3 * width;
        int row0 = Clip(y, height) * stride;
        bool hasRow1 = y + 1 >= 0 && y + 1 < height;
        int row1 = (y + 1) * stride;
        int x0 = 3 * Clip(x, width), x1 = 3 * Clip(x + 1, width);
        for (int c = 0; c < 3; c++)
        {
            double v1 = Lerp(source[row0 + x0 + c], source[row0 + x1 + c], dx);
            double v2 = hasRow1 ? Lerp(source[row1 + x0 + c], source[row1 + x1 + c], dx) : v1;
            output[c] = (byte)(int)(v1 + (v2 - v1) * dy);
        }
    }

    // Geometry.c bicubic_filter32RGB: the first row is clamped; a later row past the edge repeats the previous one.
    private static void Bicubic(ReadOnlySpan<byte> source, int width, int height, double xin, double yin, Span<byte> output)
    {
        xin -= 0.5;
        yin -= 0.5;
        int x = (int)Math.Floor(xin), y = (int)Math.Floor(yin);
        double dx = xin - x, dy = yin - y;
        x--;
        y--;
        int stride = 3 * width;
        int x0 = 3 * Clip(x, width), x1 = 3 * Clip(x + 1, width), x2 = 3 * Clip(x + 2, width), x3 = 3 * Clip(x + 3, width);
        for (int c = 0; c < 3; c++)
        {
            int r = Clip(y, height) * stride + c;
            double v1 = Cubic(source[r + x0], source[r + x1], source[r + x2], source[r + x3], dx);
            double v2 = v1, v3, v4;
            if (y + 1 >= 0 && y + 1 < height)
            {
                r = (y + 1) * stride + c;
                v2 = Cubic(source[r + x0], source[r + x1], source[r + x2], source[r + x3], dx);
            }
            v3 = v2;
            if (y + 2 >= 0 && y + 2 < height)
            {
                r = (y + 2) * stride + c;
                v3 = Cubic(source[r + x0], source[r + x1], source[r + x2], source[r + x3], dx);
            }
            v4 = v3;
            if (y + 3 >= 0 && y + 3 < height)
            {
                r = (y + 3) * stride + c;
                v4 = Cubic(source[r + x0], source[r + x1], source[r + x2], source[r + x3], dx);
            }
            double v = Cubic(v1, v2, v3, v4, dy);
            output[c] = v <= 0.0 ? (byte)0 : v >= 255.0 ? (byte)255 : (byte)(int)v;
        }
    }

    private static double Lerp(int a, int b, double d) => a + (b - a) * d;

    // Geometry.c's BICUBIC macro, term by term (its evaluation order fixes the rounding).
    private static double Cubic(double v1, double v2, double v3, double v4, double d)
    {
        double p1 = v2;
        double p2 = -v1 + v3;
        double p3 = 2 * (v1 - v2) + v3 - v4;
        double p4 = -v1 + v2 - v3 + v4;
        return p1 + d * (p2 + d * (p3 + d * p4));
    }

    private static int Clip(int v, int size) => v < 0 ? 0 : v < size ? v : size - 1;
}
