namespace SimMim.Data;

/// <summary>
/// SimMIM's pretraining augmentation (spec §5): RandomResizedCrop(S, scale 0.67–1, ratio 3/4–4/3, bilinear) →
/// RandomHorizontalFlip(0.5) → ToTensor → Normalize(ImageNet). Writes float CHW into a caller's buffer; thread-safe.
/// </summary>
public sealed class PretrainTransform
{
    // torchvision's RandomResizedCrop.get_params tries this many random boxes before its centre-crop fallback.
    private const int CropAttempts = 10;

    /// <exception cref="ConfigException">The sizes or ranges are impossible.</exception>
    public PretrainTransform(int imgSize, double minScale = 0.67, double maxScale = 1.0,
        double minRatio = 3.0 / 4.0, double maxRatio = 4.0 / 3.0, double flipProbability = 0.5)
    {
        if (imgSize <= 0)
        {
            throw new ConfigException($"DATA.IMG_SIZE must be positive, got {imgSize}");
        }
        if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1))
        {
            throw new ConfigException($"crop scale range must satisfy 0 < min ≤ max ≤ 1, got ({minScale}, {maxScale})");
        }
        if (!(minRatio > 0 && minRatio <= maxRatio))
        {
            throw new ConfigException($"crop aspect-ratio range must satisfy 0 < min ≤ max, got ({minRatio}, {maxRatio})");
        }
        ImgSize = imgSize;
        MinScale = minScale;
        MaxScale = maxScale;
        MinRatio = minRatio;
        MaxRatio = maxRatio;
        FlipProbability = flipProbability;
    }

    public int ImgSize { get; }

    public double MinScale { get; }

    public double MaxScale { get; }

    public double MinRatio { get; }

    public double MaxRatio { get; }

    public double FlipProbability { get; }

    /// <summary>Floats per output image: 3·S·S.</summary>
    public int OutputLength => 3 * ImgSize * ImgSize;

    /// <summary>Augments <paramref name="image"/> into <paramref name="destination"/> (3, S, S), drawing only from <paramref name="rng"/>.</summary>
    public void Apply(RgbImage image, Random rng, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        var (top, left, height, width) = CropBox(image.Width, image.Height, rng);
        bool flip = rng.NextDouble() < FlipProbability;
        Resampler.Resize(image, left, top, width, height, left, left + width, top, top + height, ImgSize, flip, destination);
    }

    /// <summary>torchvision's <c>RandomResizedCrop.get_params</c>: (top, left, height, width) of the crop.</summary>
    public (int Top, int Left, int Height, int Width) CropBox(int imageWidth, int imageHeight, Random rng)
    {
        double area = (double)imageWidth * imageHeight;
        double logMin = Math.Log(MinRatio), logMax = Math.Log(MaxRatio);
        for (int attempt = 0; attempt < CropAttempts; attempt++)
        {
            double targetArea = area * (MinScale + (MaxScale - MinScale) * rng.NextDouble());
            double aspect = Math.Exp(logMin + (logMax - logMin) * rng.NextDouble());
            // Python's round() rounds half to even, as Math.Round does by default.
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect));
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect));
            if (w > 0 && w <= imageWidth && h > 0 && h <= imageHeight)
            {
                int i = rng.Next(0, imageHeight - h + 1);
                int j = rng.Next(0, imageWidth - w + 1);
                return (i, j, h, w);
            }
        }

        // Fallback: the largest centred crop whose aspect ratio is within range.
        double inRatio = (double)imageWidth / imageHeight;
        int cw, ch;
        if (inRatio < MinRatio)
        {
            cw = imageWidth;
            ch = (int)Math.Round(cw / MinRatio);
        }
        else if (inRatio > MaxRatio)
        {
            ch = imageHeight;
            cw = (int)Math.Round(ch * MaxRatio);
        }
        else
        {
            cw = imageWidth;
            ch = imageHeight;
        }
        return ((imageHeight - ch) / 2, (imageWidth - cw) / 2, ch, cw);
    }
}
