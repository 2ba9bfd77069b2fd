namespace SimMim.Data.Augment;

/// <summary>
/// torchvision's <c>ColorJitter(brightness=s, contrast=s, saturation=s)</c> (hue 0), which timm's
/// transforms_imagenet_train adds for a scalar AUG.COLOR_JITTER when no auto-augment policy is set: one factor per
/// adjustment, uniform in [max(0, 1 − s), 1 + s], the three applied in a random order. On PIL images they are
/// ImageEnhance's Brightness, Contrast and Color. Thread-safe; draws only from the caller's <see cref="Random"/>.
/// </summary>
internal sealed class ColorJitter
{
    private const int Brightness = 0, Contrast = 1, Saturation = 2;

    public ColorJitter(double strength)
    {
        if (!(strength > 0 && double.IsFinite(strength)))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "colour jitter strength must be positive");
        Low = Math.Max(0, 1 - strength);
        High = 1 + strength;
    }

    /// <summary>Smallest factor, max(0, 1 − s).</summary>
    public double Low { get; }

    /// <summary>Largest factor, 1 + s.</summary>
    public double High { get; }

    /// <summary>Jitters <paramref name="pixels"/> (8-bit RGB, HWC) in place.</summary>
    public void Apply(Span<byte> pixels, Random rng)
    {
        Span<int> order = [Brightness, Contrast, Saturation];
        rng.Shuffle(order);
        Span<double> factors = [Factor(rng), Factor(rng), Factor(rng)];
        foreach (int adjustment in order)
        {
            double factor = factors[adjustment];
            switch (adjustment)
            {
                case Brightness:
                    ImageEnhance.Brightness(pixels, factor);
                    break;
                case Contrast:
                    ImageEnhance.Contrast(pixels, factor);
                    break;
                default:
                    ImageEnhance.Color(pixels, factor);
                    break;
            }
        }
    }

    private double Factor(Random rng) => Low + (High - Low) * rng.NextDouble();
}
