namespace SimMim.Data.Augment;

/// <summary>
/// PIL's ImageEnhance (Pillow 9.4) in place on 8-bit RGB pixels (HWC): each enhancer blends a "degenerate" image
/// with the original, <c>Image.blend(degenerate, image, factor)</c>. Factor 1 is the original, 0 the degenerate
/// image, and factors outside [0, 1] extrapolate with clipping. timm's RandAugment and torchvision's ColorJitter on
/// PIL images both come down to these.
/// </summary>
internal static class ImageEnhance
{
    /// <summary><c>ImageEnhance.Brightness</c>: the degenerate image is black.</summary>
    public static void Brightness(Span<byte> pixels, double factor) => BlendWithGrey(pixels, 0, factor);

    /// <summary>
    /// <c>ImageEnhance.Contrast</c>: the degenerate image is flat grey at the mean of the L (luma) image, rounded
    /// as <c>int(mean + 0.5)</c>.
    /// </summary>
    public static void Contrast(Span<byte> pixels, double factor)
    {
        if ((float)factor == 1f)
            return;
        long sum = 0;
        for (int i = 0; i < pixels.Length; i += 3)
            sum += Luma(pixels[i], pixels[i + 1], pixels[i + 2]);
        BlendWithGrey(pixels, (int)((double)sum / (pixels.Length / 3) + 0.5), factor);
    }

    /// <summary><c>ImageEnhance.Color</c> (saturation): the degenerate image is the L image back in RGB.</summary>
    public static void Color(Span<byte> pixels, double factor)
    {
        float alpha = (float)factor;
        if (alpha == 1f)
            return;
        for (int i = 0; i < pixels.Length; i += 3)
        {
            int l = Luma(pixels[i], pixels[i + 1], pixels[i + 2]);
            pixels[i] = Blend(l, pixels[i], alpha);
            pixels[i + 1] = Blend(l, pixels[i + 1], alpha);
            pixels[i + 2] = Blend(l, pixels[i + 2], alpha);
        }
    }

    /// <summary>
    /// <c>ImageEnhance.Sharpness</c>: the degenerate image is <c>filter(ImageFilter.SMOOTH)</c>, the 3×3 kernel
    /// (1 1 1 / 1 5 1 / 1 1 1)/13 whose one-pixel border is copied unfiltered. <paramref name="scratch"/> holds it.
    /// </summary>
    public static void Sharpness(Span<byte> pixels, int width, int height, double factor, Span<byte> scratch)
    {
        float alpha = (float)factor;
        if (alpha == 1f)
            return;
        Span<byte> smooth = scratch[..pixels.Length];
        Smooth(pixels, width, height, smooth);
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = Blend(smooth[i], pixels[i], alpha);
    }

    // A flat degenerate image makes the blend a function of the byte alone: one table, as exact as blending each sample.
    private static void BlendWithGrey(Span<byte> pixels, int grey, double factor)
    {
        float alpha = (float)factor;
        if (alpha == 1f)
            return;
        Span<byte> table = stackalloc byte[256];
        for (int v = 0; v < 256; v++)
            table[v] = Blend(grey, v, alpha);
        ImageOps.Point(pixels, table);
    }

    /// <summary>RGB → L as Pillow 9.4 converts: (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16, i.e. ITU-R 601 rounded.</summary>
    public static int Luma(int r, int g, int b) => (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;

    /// <summary>
    /// One sample of PIL's ImagingBlend: float32 <c>in1 + alpha·(in2 − in1)</c>, truncated to a byte; clipped first
    /// when alpha is outside [0, 1].
    /// </summary>
    public static byte Blend(int degenerate, int value, float alpha)
    {
        float t = degenerate + alpha * (value - degenerate);
        if (alpha >= 0f && alpha <= 1f)
            return (byte)(int)t;
        if (t <= 0f)
            return 0;
        if (t >= 255f)
            return 255;
        return (byte)(int)t;
    }

    // ImagingFilter3x3 for RGB: a float32 sum that starts at 0.5 (PIL's rounding) and adds row y+1, then y, then y−1
    // (PIL flips the kernel; SMOOTH is symmetric, but the order fixes the rounding), each row left to right, then
    // truncates. Images under 3×3 are copied.
    private static void Smooth(ReadOnlySpan<byte> source, int width, int height, Span<byte> destination)
    {
        source.CopyTo(destination);
        if (width < 3 || height < 3)
            return;
        const float Edge = 1f / 13f, Centre = 5f / 13f;
        int stride = 3 * width;
        for (int y = 1; y < height - 1; y++)
        {
            int above = (y - 1) * stride, row = y * stride, below = (y + 1) * stride;
            for (int x = 1; x < width - 1; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int o = 3 * x + c;
                    float ss = 0.5f;
                    ss += source[below + o - 3] * Edge + source[below + o] * Edge + source[below + o + 3] * Edge;
                    ss += source[row + o - 3] * Edge + source[row + o] * Centre + source[row + o + 3] * Edge;
                    ss += source[above + o - 3] * Edge + source[above + o] * Edge + source[above + o + 3] * Edge;
                    destination[row + o] = ss <= 0f ? (byte)0 : ss >= 255f ? (byte)255 : (byte)(int)ss;
                }
            }
        }
    }
}
