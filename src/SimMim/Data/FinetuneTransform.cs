using SimMim.Data.Augment;

namespace SimMim.Data;

/// <summary>
/// The fine-tune training augmentation (timm create_transform, spec §5), each step switchable:
/// RandomResizedCrop(S, scale 0.08–1, ratio 3/4–4/3, bicubic) → RandomHorizontalFlip(0.5) → RandAugment, or colour
/// jitter when there is no auto-augment policy (timm ignores AUG.COLOR_JITTER otherwise) → ToTensor → Normalize →
/// RandomErasing(p, 'pixel'). Thread-safe; draws only from the caller's <see cref="Random"/>.
/// </summary>
public sealed class FinetuneTransform
{
    private readonly PretrainTransform _crop;   // torchvision get_params, shared with pretraining
    private readonly RandAugment? _randAugment;
    private readonly ColorJitter? _colorJitter;

    // The 8-bit crop the colour and geometry ops work on, and their scratch: per thread, so steady state allocates nothing.
    [ThreadStatic]
    private static byte[]? t_pixels;

    /// <param name="imgSize">DATA.IMG_SIZE, the output side S.</param>
    /// <param name="minScale">Smallest crop area fraction.</param>
    /// <param name="maxScale">Largest crop area fraction.</param>
    /// <param name="flipProbability">Horizontal flip probability.</param>
    /// <param name="reprob">AUG.REPROB, the random-erasing probability.</param>
    /// <param name="filter">Interpolation of the crop and of RandAugment's geometric ops.</param>
    /// <param name="autoAugment">AUG.AUTO_AUGMENT: a timm RandAugment string (<c>rand-m9-mstd0.5-inc1</c>), or empty / "none".</param>
    /// <param name="colorJitter">
    /// AUG.COLOR_JITTER: brightness, contrast and saturation strength; 0 = off; unused with an auto-augment policy.
    /// </param>
    /// <exception cref="ConfigException">The sizes or ranges are impossible, or AUG.AUTO_AUGMENT is not understood.</exception>
    public FinetuneTransform(int imgSize, double minScale = 0.08, double maxScale = 1.0, double flipProbability = 0.5,
        double reprob = 0.25, ResampleFilter filter = ResampleFilter.Bicubic, string autoAugment = "none", double colorJitter = 0)
    {
        if (reprob < 0 || reprob > 1)
            throw new ConfigException($"AUG.REPROB must be in [0, 1], got {reprob}");
        CheckColorJitter(colorJitter);
        _crop = new PretrainTransform(imgSize, minScale, maxScale, flipProbability: flipProbability);
        Reprob = reprob;
        Filter = filter;
        if (RandAugmentPolicy.FromConfig(autoAugment) is { } policy)
            _randAugment = new RandAugment(policy, filter, RandAugment.ImageNetFill);
        else if (colorJitter > 0)
            _colorJitter = new ColorJitter(colorJitter);
    }

    public int ImgSize => _crop.ImgSize;
    public double Reprob { get; }
    public ResampleFilter Filter { get; }

    /// <summary>Whether RandAugment runs (AUG.AUTO_AUGMENT set).</summary>
    public bool UsesRandAugment => _randAugment is not null;

    /// <summary>Whether colour jitter runs (AUG.COLOR_JITTER &gt; 0 and no auto-augment policy).</summary>
    public bool UsesColorJitter => _colorJitter is not null;

    /// <summary>Floats per output image: 3·S·S.</summary>
    public int OutputLength => 3 * ImgSize * ImgSize;

    /// <exception cref="ConfigException">AUG.COLOR_JITTER is negative or not a number.</exception>
    public static void CheckColorJitter(double colorJitter)
    {
        if (!(colorJitter >= 0 && double.IsFinite(colorJitter)))
            throw new ConfigException($"AUG.COLOR_JITTER must be 0 (off) or more, got {colorJitter}");
    }

    public void Apply(RgbImage image, Random rng, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        var (top, left, height, width) = _crop.CropBox(image.Width, image.Height, rng);
        bool flip = rng.NextDouble() < _crop.FlipProbability;
        if (_randAugment is null && _colorJitter is null)
        {
            Resampler.Resize(image, left, top, width, height, left, left + width, top, top + height, ImgSize, flip,
                destination, Filter);
        }
        else
        {
            int length = OutputLength;
            if (t_pixels is null || t_pixels.Length < 2 * length)
                t_pixels = new byte[2 * length];
            Span<byte> pixels = t_pixels.AsSpan(0, length), scratch = t_pixels.AsSpan(length, length);
            Resampler.ResizeToBytes(image, left, top, width, height, left, left + width, top, top + height, ImgSize, flip,
                pixels, Filter);
            _randAugment?.Apply(pixels, ImgSize, ImgSize, rng, scratch);
            _colorJitter?.Apply(pixels, rng);
            Resampler.Normalize(pixels, destination);
        }
        if (Reprob > 0)
            RandomErasing.Apply(destination, 3, ImgSize, ImgSize, Reprob, rng);
    }
}
