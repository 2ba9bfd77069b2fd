namespace SimMim.Data;

/// <summary>
/// The fine-tune training augmentation (timm create_transform, spec §5), each step switchable:
/// RandomResizedCrop(S, scale 0.08–1, ratio 3/4–4/3, bicubic) → RandomHorizontalFlip(0.5) → ToTensor → Normalize →
/// RandomErasing(p, 'pixel'). RandAugment is not applied (not implemented yet). Thread-safe; draws only from the
/// caller's <see cref="Random"/>.
/// </summary>
public sealed class FinetuneTransform
{
    private readonly PretrainTransform _crop;   // torchvision get_params, shared with pretraining

    /// <exception cref="ConfigException">The sizes or ranges are impossible.</exception>
    public FinetuneTransform(int imgSize, double minScale = 0.08, double maxScale = 1.0, double flipProbability = 0.5,
        double reprob = 0.25, ResampleFilter filter = ResampleFilter.Bicubic)
    {
        if (reprob < 0 || reprob > 1)
            throw new ConfigException($"AUG.REPROB must be in [0, 1], got {reprob}");
        _crop = new PretrainTransform(imgSize, minScale, maxScale, flipProbability: flipProbability);
        Reprob = reprob;
        Filter = filter;
    }

    public int ImgSize => _crop.ImgSize;
    public double Reprob { get; }
    public ResampleFilter Filter { get; }

    /// <summary>Floats per output image: 3·S·S.</summary>
    public int OutputLength => 3 * ImgSize * ImgSize;

    public void Apply(RgbImage image, Random rng, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        var (top, left, height, width) = _crop.CropBox(image.Width, image.Height, rng);
        bool flip = rng.NextDouble() < _crop.FlipProbability;
        Resampler.Resize(image, left, top, width, height, left, left + width, top, top + height, ImgSize, flip,
            destination, Filter);
        if (Reprob > 0)
            RandomErasing.Apply(destination, 3, ImgSize, ImgSize, Reprob, rng);
    }
}
