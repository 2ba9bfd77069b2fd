namespace SimMim.Data.Augment;

/// <summary>
/// The lookup-table operations of PIL's ImageOps (Pillow 9.4) that timm's RandAugment uses, in place on 8-bit RGB
/// pixels (HWC). Every one maps each byte through a 256-entry table, per channel for the histogram-based ones, and
/// clips table entries to 0–255 as <c>Image.point</c> does.
/// </summary>
internal static class ImageOps
{
    /// <summary><c>ImageOps.invert</c>: 255 − v.</summary>
    public static void Invert(Span<byte> pixels)
    {
        Span<byte> table = stackalloc byte[256];
        for (int v = 0; v < 256; v++)
            table[v] = (byte)(255 - v);
        Point(pixels, table);
    }

    /// <summary>
    /// <c>ImageOps.posterize</c>: keeps the top <paramref name="bits"/> bits. timm returns the image unchanged from 8 bits
    /// up; 0 or fewer bits give black (Python's <c>~(2**(8 − bits) − 1)</c> masks every bit of a byte).
    /// </summary>
    public static void Posterize(Span<byte> pixels, int bits)
    {
        if (bits >= 8)
            return;
        int mask = bits <= 0 ? 0 : ~((1 << (8 - bits)) - 1) & 0xFF;
        Span<byte> table = stackalloc byte[256];
        for (int v = 0; v < 256; v++)
            table[v] = (byte)(v & mask);
        Point(pixels, table);
    }

    /// <summary><c>ImageOps.solarize</c>: values at or above <paramref name="threshold"/> are inverted.</summary>
    public static void Solarize(Span<byte> pixels, int threshold)
    {
        Span<byte> table = stackalloc byte[256];
        for (int v = 0; v < 256; v++)
            table[v] = (byte)(v < threshold ? v : 255 - v);
        Point(pixels, table);
    }

    /// <summary>timm's <c>solarize_add</c>: values below <paramref name="threshold"/> get <paramref name="add"/>, capped at 255.</summary>
    public static void SolarizeAdd(Span<byte> pixels, int add, int threshold = 128)
    {
        Span<byte> table = stackalloc byte[256];
        for (int v = 0; v < 256; v++)
            table[v] = (byte)(v < threshold ? Math.Min(255, v + add) : v);
        Point(pixels, table);
    }

    /// <summary><c>Image.point</c> with one table for every channel.</summary>
    public static void Point(Span<byte> pixels, ReadOnlySpan<byte> table)
    {
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = table[pixels[i]];
    }

    /// <summary>
    /// <c>ImageOps.autocontrast</c> (cutoff 0): each channel's lowest and highest present values are stretched to 0 and
    /// 255 (lut = int(v·scale − lo·scale) with scale = 255 / (hi − lo)); a channel with one value is left as it is.
    /// </summary>
    public static void AutoContrast(Span<byte> pixels) => ApplyChannelTables(pixels, AutoContrastTable);

    /// <summary>
    /// <c>ImageOps.equalize</c>: per channel, step = (count − count of the highest present value) // 255 and
    /// lut[v] = (step // 2 + Σ h[&lt; v]) // step; identity when a channel has one value or step is 0.
    /// </summary>
    public static void Equalize(Span<byte> pixels) => ApplyChannelTables(pixels, EqualizeTable);

    /// <summary>Per-channel 256-bin histograms (R, then G, then B), as <c>Image.histogram</c> lays them out.</summary>
    public static void Histogram(ReadOnlySpan<byte> pixels, Span<int> histogram)
    {
        histogram.Clear();
        for (int i = 0; i < pixels.Length; i += 3)
        {
            histogram[pixels[i]]++;
            histogram[256 + pixels[i + 1]]++;
            histogram[512 + pixels[i + 2]]++;
        }
    }

    private delegate void TableBuilder(ReadOnlySpan<int> histogram, Span<byte> table);

    // Builds each channel's table from its histogram, then maps every pixel through them.
    private static void ApplyChannelTables(Span<byte> pixels, TableBuilder build)
    {
        Span<int> histogram = stackalloc int[768];
        Histogram(pixels, histogram);
        Span<byte> lut = stackalloc byte[768];
        for (int c = 0; c < 3; c++)
            build(histogram.Slice(256 * c, 256), lut.Slice(256 * c, 256));
        for (int i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = lut[pixels[i]];
            pixels[i + 1] = lut[256 + pixels[i + 1]];
            pixels[i + 2] = lut[512 + pixels[i + 2]];
        }
    }

    private static void AutoContrastTable(ReadOnlySpan<int> h, Span<byte> table)
    {
        int lo = 0, hi = 255;
        while (lo < 255 && h[lo] == 0)
            lo++;
        while (hi > 0 && h[hi] == 0)
            hi--;
        if (hi <= lo)
        {
            Identity(table);
            return;
        }
        double scale = 255.0 / (hi - lo);
        double offset = -lo * scale;
        for (int v = 0; v < 256; v++)
            table[v] = (byte)Math.Clamp((int)(v * scale + offset), 0, 255);   // Python int() truncates toward 0
    }

    private static void EqualizeTable(ReadOnlySpan<int> h, Span<byte> table)
    {
        int present = 0, last = 0;
        long total = 0;
        for (int v = 0; v < 256; v++)
        {
            if (h[v] == 0)
                continue;
            present++;
            last = h[v];
            total += h[v];
        }
        long step = present <= 1 ? 0 : (total - last) / 255;
        if (step == 0)
        {
            Identity(table);
            return;
        }
        long n = step / 2;
        for (int v = 0; v < 256; v++)
        {
            table[v] = (byte)Math.Min(n / step, 255);
            n += h[v];
        }
    }

    private static void Identity(Span<byte> table)
    {
        for (int v = 0; v < 256; v++)
            table[v] = (byte)v;
    }
}
