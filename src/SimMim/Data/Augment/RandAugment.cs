using SimMim.Finetune;

namespace SimMim.Data.Augment;

/// <summary>
/// timm's RandAugment (auto_augment.py, as transforms_imagenet_train builds it) on the 8-bit RGB crop, before
/// ToTensor: <see cref="RandAugmentPolicy.NumOps"/> ops drawn uniformly with replacement; each applied with
/// probability <see cref="RandAugmentPolicy.Probability"/> at a magnitude drawn per op (Gaussian around m when mstd is
/// set) and clipped to [0, mmax]. The geometric ops resample with the training interpolation and fill with the
/// dataset mean, as timm's hparams pass them. Thread-safe: the only state is the immutable policy, and every draw
/// comes from the caller's <see cref="Random"/>.
/// </summary>
internal sealed class RandAugment
{
    private static readonly byte[] s_imageNetFill =
    [
        .. Enumerable.Range(0, 3).Select(c => (byte)Math.Min(255, Math.Round(255 * (double)ImageNetNormalization.Mean[c]))),
    ];

    private readonly ResampleFilter _filter;
    private readonly byte[] _fill;

    /// <param name="policy">The parsed AUG.AUTO_AUGMENT string.</param>
    /// <param name="filter">timm passes the training interpolation (DATA.INTERPOLATION) to the geometric ops.</param>
    /// <param name="fill">RGB fill of the area a geometric op uncovers.</param>
    public RandAugment(RandAugmentPolicy policy, ResampleFilter filter, ReadOnlySpan<byte> fill)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (fill.Length != 3)
            throw new ArgumentException($"the fill colour needs 3 bytes, got {fill.Length}", nameof(fill));
        Policy = policy;
        _filter = filter;
        _fill = fill.ToArray();
    }

    /// <summary>
    /// timm's img_mean hparam, <c>round(255 · mean)</c> of the ImageNet mean: (124, 116, 104). Its own default, (128,
    /// 128, 128), applies only when no hparams are given, which create_transform never does.
    /// </summary>
    public static ReadOnlySpan<byte> ImageNetFill => s_imageNetFill;

    public RandAugmentPolicy Policy { get; }

    /// <summary>Augments <paramref name="pixels"/> (HWC) in place; <paramref name="scratch"/> is at least as long.</summary>
    public void Apply(Span<byte> pixels, int width, int height, Random rng, Span<byte> scratch)
    {
        if (pixels.Length != 3 * width * height || scratch.Length < pixels.Length)
            throw new ArgumentException($"{width}×{height} RGB needs {3 * width * height} bytes and as much scratch");
        var ops = Policy.Ops;
        for (int i = 0; i < Policy.NumOps; i++)
        {
            AugmentOp op = ops[rng.Next(ops.Count)];
            if (Policy.Probability < 1.0 && rng.NextDouble() > Policy.Probability)
                continue;
            double argument = AugmentLevels.Argument(op, SampleMagnitude(rng), rng);
            ApplyOp(op, argument, pixels, width, height, scratch);
        }
    }

    /// <summary>timm's AugmentOp magnitude: m, or gauss(m, mstd), or uniform(0, m) for mstd = ∞; clipped to [0, mmax].</summary>
    public double SampleMagnitude(Random rng)
    {
        double magnitude = Policy.Magnitude;
        if (double.IsPositiveInfinity(Policy.MagnitudeStd))
            magnitude = Policy.Magnitude * rng.NextDouble();
        else if (Policy.MagnitudeStd > 0)
            magnitude = Policy.Magnitude + Policy.MagnitudeStd * BetaSampler.Normal(rng);
        return Math.Max(0.0, Math.Min(magnitude, Policy.UpperBound));
    }

    /// <summary>One op with its argument from <see cref="AugmentLevels.Argument"/>, as timm's NAME_TO_OP functions apply it.</summary>
    public void ApplyOp(AugmentOp op, double argument, Span<byte> pixels, int width, int height, Span<byte> scratch)
    {
        Span<double> matrix = stackalloc double[6];
        switch (op)
        {
            case AugmentOp.AutoContrast:
                ImageOps.AutoContrast(pixels);
                return;
            case AugmentOp.Equalize:
                ImageOps.Equalize(pixels);
                return;
            case AugmentOp.Invert:
                ImageOps.Invert(pixels);
                return;
            case AugmentOp.Posterize or AugmentOp.PosterizeIncreasing:
                ImageOps.Posterize(pixels, (int)argument);
                return;
            case AugmentOp.Solarize or AugmentOp.SolarizeIncreasing:
                ImageOps.Solarize(pixels, (int)argument);
                return;
            case AugmentOp.SolarizeAdd:
                ImageOps.SolarizeAdd(pixels, (int)argument);
                return;
            case AugmentOp.Color or AugmentOp.ColorIncreasing:
                ImageEnhance.Color(pixels, argument);
                return;
            case AugmentOp.Contrast or AugmentOp.ContrastIncreasing:
                ImageEnhance.Contrast(pixels, argument);
                return;
            case AugmentOp.Brightness or AugmentOp.BrightnessIncreasing:
                ImageEnhance.Brightness(pixels, argument);
                return;
            case AugmentOp.Sharpness or AugmentOp.SharpnessIncreasing:
                ImageEnhance.Sharpness(pixels, width, height, argument, scratch);
                return;
            case AugmentOp.Rotate:
                if (!AffineTransform.RotationMatrix(argument, width, height, matrix))
                    return;
                break;
            case AugmentOp.ShearX:
                Set(matrix, 1, argument, 0, 0, 1, 0);
                break;
            case AugmentOp.ShearY:
                Set(matrix, 1, 0, 0, argument, 1, 0);
                break;
            case AugmentOp.TranslateXRel:
                Set(matrix, 1, 0, argument * width, 0, 1, 0);
                break;
            case AugmentOp.TranslateYRel:
                Set(matrix, 1, 0, 0, 0, 1, argument * height);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
        Span<byte> transformed = scratch[..pixels.Length];
        AffineTransform.Apply(pixels, transformed, width, height, matrix, _filter, _fill);
        transformed.CopyTo(pixels);
    }

    private static void Set(Span<double> matrix, double a, double b, double c, double d, double e, double f)
    {
        matrix[0] = a;
        matrix[1] = b;
        matrix[2] = c;
        matrix[3] = d;
        matrix[4] = e;
        matrix[5] = f;
    }
}
