namespace SimMim.Data.Augment;

/// <summary>
/// timm's LEVEL_TO_ARG: the argument an <see cref="AugmentOp"/> gets at a magnitude ("level") on timm's 0–10 scale.
/// Products are taken in timm's order, (level / 10) · range, so the arguments match to the last bit.
/// </summary>
internal static class AugmentLevels
{
    /// <summary>timm's _LEVEL_DENOM: a magnitude of 10 is an op's full range.</summary>
    public const double LevelDenominator = 10.0;

    // timm's hparams default for the relative translations (RandAugment passes no translate_pct).
    private const double TranslatePct = 0.45;

    /// <summary>
    /// The argument of <paramref name="op"/> at <paramref name="level"/>: degrees (Rotate), bits kept (Posterize),
    /// threshold (Solarize), amount added (SolarizeAdd), blend factor (Color, Contrast, Brightness, Sharpness), shear
    /// factor, or translation as a fraction of the image side; 0 for the ops without one. Signed arguments take a
    /// random sign (timm's _randomly_negate: negative when a uniform draw exceeds 0.5); only they draw from
    /// <paramref name="rng"/>.
    /// </summary>
    public static double Argument(AugmentOp op, double level, Random rng)
    {
        double fraction = level / LevelDenominator;
        return op switch
        {
            AugmentOp.AutoContrast or AugmentOp.Equalize or AugmentOp.Invert => 0,
            AugmentOp.Rotate => RandomlyNegate(fraction * 30.0, rng),
            // TPU EfficientNet: 0–4 bits kept, fewer bits (more severe) at low levels.
            AugmentOp.Posterize => (int)(fraction * 4),
            // TF research / UDA: 4 down to 0 bits kept.
            AugmentOp.PosterizeIncreasing => 4 - (int)(fraction * 4),
            AugmentOp.Solarize => Math.Min(256, (int)(fraction * 256)),
            AugmentOp.SolarizeIncreasing => 256 - Math.Min(256, (int)(fraction * 256)),
            AugmentOp.SolarizeAdd => Math.Min(128, (int)(fraction * 110)),
            AugmentOp.Color or AugmentOp.Contrast or AugmentOp.Brightness or AugmentOp.Sharpness => fraction * 1.8 + 0.1,
            // 1 is "no change"; the factor moves away from it either way, kept at 0.1 or more.
            AugmentOp.ColorIncreasing or AugmentOp.ContrastIncreasing or AugmentOp.BrightnessIncreasing
                or AugmentOp.SharpnessIncreasing => Math.Max(0.1, 1.0 + RandomlyNegate(fraction * 0.9, rng)),
            AugmentOp.ShearX or AugmentOp.ShearY => RandomlyNegate(fraction * 0.3, rng),
            AugmentOp.TranslateXRel or AugmentOp.TranslateYRel => RandomlyNegate(fraction * TranslatePct, rng),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
        };
    }

    private static double RandomlyNegate(double value, Random rng) => rng.NextDouble() > 0.5 ? -value : value;
}
