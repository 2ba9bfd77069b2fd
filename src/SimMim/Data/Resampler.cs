namespace SimMim.Data;

/// <summary>
/// Resizes a box of an RGB image to S×S and writes it normalised in CHW order (or as 8-bit HWC, the image the
/// fine-tune colour and geometry augmentations work on). This is PIL's bilinear resample
/// (a triangle filter whose support widens by the downscale factor, i.e. antialiased like the reference's PIL
/// path; plain bilinear when upscaling), horizontal pass first, each pass rounded to 8 bits as PIL's are.
/// Scratch memory is per thread, so steady-state calls allocate nothing. PIL's bicubic filter (the fine-tune
/// transforms, spec §5) is the same scheme with a wider kernel; its negative lobes are clipped to 0–255 per pass.
/// </summary>
internal static class Resampler
{
    // ToTensor + Normalize of every byte value per channel; both passes end in whole numbers, so a table is exact.
    private static readonly float[] NormalizedByte = BuildTable();

    [ThreadStatic]
    private static Scratch? t_scratch;

    // The box (boxX, boxY, boxW, boxH) is in source pixels and may be fractional. Source pixels outside
    // [clipX0, clipX1) × [clipY0, clipY1) are never read: for a crop that is its edge, as if cropped first.
    public static void Resize(RgbImage image, double boxX, double boxY, double boxW, double boxH,
        int clipX0, int clipX1, int clipY0, int clipY1, int size, bool flip, Span<float> destination,
        ResampleFilter filter = ResampleFilter.Bilinear)
    {
        if (destination.Length != 3 * size * size)
        {
            throw new ArgumentException($"destination needs {3 * size * size} floats, got {destination.Length}", nameof(destination));
        }
        Resize(image, boxX, boxY, boxW, boxH, clipX0, clipX1, clipY0, clipY1, size, flip, new NormalizedChw(destination, size * size), filter);
    }

    /// <summary>
    /// The same resize into 8-bit RGB, row-major HWC: the PIL image timm's RandAugment and colour jitter receive
    /// after RandomResizedCrop and flip. <see cref="Normalize"/> of it equals the float overload's output bit for bit.
    /// </summary>
    public static void ResizeToBytes(RgbImage image, double boxX, double boxY, double boxW, double boxH,
        int clipX0, int clipX1, int clipY0, int clipY1, int size, bool flip, Span<byte> destination,
        ResampleFilter filter)
    {
        if (destination.Length != 3 * size * size)
        {
            throw new ArgumentException($"destination needs {3 * size * size} bytes, got {destination.Length}", nameof(destination));
        }
        Resize(image, boxX, boxY, boxW, boxH, clipX0, clipX1, clipY0, clipY1, size, flip, new BytesHwc(destination), filter);
    }

    /// <summary>ToTensor + Normalize of an 8-bit HWC image into float CHW.</summary>
    public static void Normalize(ReadOnlySpan<byte> hwc, Span<float> destination)
    {
        if (destination.Length != hwc.Length)
        {
            throw new ArgumentException($"destination needs {hwc.Length} floats, got {destination.Length}", nameof(destination));
        }
        int plane = hwc.Length / 3;
        var sink = new NormalizedChw(destination, plane);
        for (int i = 0; i < plane; i++)
        {
            sink.Put(i, hwc[3 * i], hwc[3 * i + 1], hwc[3 * i + 2]);
        }
    }

    // One resize for both outputs: the sink is a struct type argument, so the JIT compiles each pass without a call.
    private static void Resize<TSink>(RgbImage image, double boxX, double boxY, double boxW, double boxH,
        int clipX0, int clipX1, int clipY0, int clipY1, int size, bool flip, TSink sink, ResampleFilter filter)
        where TSink : IPixelSink, allows ref struct
    {
        var scratch = t_scratch ??= new Scratch();
        int tapsX = Coefficients(boxX, boxW, clipX0, clipX1, size, filter, ref scratch.WeightsX, ref scratch.BoundsX);
        int tapsY = Coefficients(boxY, boxH, clipY0, clipY1, size, filter, ref scratch.WeightsY, ref scratch.BoundsY);
        float[] kx = scratch.WeightsX, ky = scratch.WeightsY;
        int[] bx = scratch.BoundsX, by = scratch.BoundsY;

        // Only the source rows some output row reads go through the horizontal pass.
        int rowFirst = by[0], rowLast = by[2 * (size - 1)] + by[2 * (size - 1) + 1];
        int rows = rowLast - rowFirst;
        int tmpLength = rows * size * 3;
        if (scratch.Rows.Length < tmpLength)
        {
            scratch.Rows = new float[tmpLength];
        }
        float[] tmp = scratch.Rows;
        byte[] src = image.Pixels;
        int stride = image.Width * 3;

        for (int r = 0; r < rows; r++)
        {
            int rowStart = (rowFirst + r) * stride;
            for (int xx = 0; xx < size; xx++)
            {
                int x0 = bx[2 * xx], n = bx[2 * xx + 1];
                float r0 = 0, g0 = 0, b0 = 0;
                for (int k = 0; k < n; k++)
                {
                    float w = kx[xx * tapsX + k];
                    int p = rowStart + (x0 + k) * 3;
                    r0 += src[p] * w;
                    g0 += src[p + 1] * w;
                    b0 += src[p + 2] * w;
                }
                int o = (r * size + xx) * 3;
                tmp[o] = Round8(r0);
                tmp[o + 1] = Round8(g0);
                tmp[o + 2] = Round8(b0);
            }
        }

        for (int yy = 0; yy < size; yy++)
        {
            int y0 = by[2 * yy] - rowFirst, n = by[2 * yy + 1];
            for (int xx = 0; xx < size; xx++)
            {
                float r0 = 0, g0 = 0, b0 = 0;
                for (int k = 0; k < n; k++)
                {
                    float w = ky[yy * tapsY + k];
                    int p = ((y0 + k) * size + xx) * 3;
                    r0 += tmp[p] * w;
                    g0 += tmp[p + 1] * w;
                    b0 += tmp[p + 2] * w;
                }
                sink.Put(yy * size + (flip ? size - 1 - xx : xx), (int)Round8(r0), (int)Round8(g0), (int)Round8(b0));
            }
        }
    }

    /// <summary>PIL's precompute_coeffs for the triangle or bicubic filter; returns the taps per output pixel.</summary>
    private static int Coefficients(double boxStart, double boxLength, int clip0, int clip1, int size,
        ResampleFilter filter, ref float[] weights, ref int[] bounds)
    {
        double scale = boxLength / size;
        double filterScale = Math.Max(scale, 1.0);
        // The triangle's support is 1 and the bicubic's 2, widened by the downscale factor (antialiasing).
        double support = (filter == ResampleFilter.Bicubic ? 2.0 : 1.0) * filterScale;
        int taps = (int)Math.Ceiling(support) * 2 + 1;
        if (weights.Length < size * taps)
        {
            weights = new float[size * taps];
        }
        if (bounds.Length < 2 * size)
        {
            bounds = new int[2 * size];
        }
        double inverse = 1.0 / filterScale;
        for (int i = 0; i < size; i++)
        {
            double center = boxStart + (i + 0.5) * scale;
            int min = Math.Max((int)Math.Floor(center - support + 0.5), clip0);
            int max = Math.Min((int)Math.Floor(center + support + 0.5), clip1);
            int n = Math.Max(max - min, 0);
            n = Math.Min(n, taps);
            double total = 0;
            for (int k = 0; k < n; k++)
            {
                double u = (min + k - center + 0.5) * inverse;
                double w = filter == ResampleFilter.Bicubic ? Bicubic(u) : Math.Max(0, 1 - Math.Abs(u));
                weights[i * taps + k] = (float)w;
                total += w;
            }
            if (total <= 0)
            {
                // The box lies entirely outside the clip (cannot happen for valid crops): read the nearest pixel.
                min = Math.Clamp((int)center, clip0, clip1 - 1);
                n = 1;
                weights[i * taps] = 1;
                total = 1;
            }
            for (int k = 0; k < n; k++)
            {
                weights[i * taps + k] = (float)(weights[i * taps + k] / total);
            }
            bounds[2 * i] = min;
            bounds[2 * i + 1] = n;
        }
        return taps;
    }

    // PIL's bicubic kernel (Keys, a = −0.5).
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0)
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0)
            return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    // PIL rounds half up (adds 0.5 in fixed point before truncating); values here are never negative.
    private static float Round8(float value) => Math.Clamp(MathF.Round(value, MidpointRounding.AwayFromZero), 0f, 255f);

    private static float[] BuildTable()
    {
        var table = new float[3 * 256];
        for (int c = 0; c < 3; c++)
        {
            for (int v = 0; v < 256; v++)
            {
                table[c * 256 + v] = ImageNetNormalization.Normalize((byte)v, c);
            }
        }
        return table;
    }

    private interface IPixelSink
    {
        /// <summary>Stores output pixel <paramref name="index"/> (y·S + x) with 8-bit channel values.</summary>
        void Put(int index, int r, int g, int b);
    }

    private readonly ref struct NormalizedChw(Span<float> destination, int plane) : IPixelSink
    {
        private readonly Span<float> _destination = destination;

        public void Put(int index, int r, int g, int b)
        {
            _destination[index] = NormalizedByte[r];
            _destination[plane + index] = NormalizedByte[256 + g];
            _destination[2 * plane + index] = NormalizedByte[512 + b];
        }
    }

    private readonly ref struct BytesHwc(Span<byte> destination) : IPixelSink
    {
        private readonly Span<byte> _destination = destination;

        public void Put(int index, int r, int g, int b)
        {
            _destination[3 * index] = (byte)r;
            _destination[3 * index + 1] = (byte)g;
            _destination[3 * index + 2] = (byte)b;
        }
    }

    private sealed class Scratch
    {
        public float[] WeightsX = [];
        public float[] WeightsY = [];
        public int[] BoundsX = [];
        public int[] BoundsY = [];
        public float[] Rows = [];
    }
}
