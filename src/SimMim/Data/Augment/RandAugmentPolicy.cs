using System.Globalization;

namespace SimMim.Data.Augment;

/// <summary>
/// A RandAugment configuration in timm's string form (AUG.AUTO_AUGMENT, e.g. the reference's <c>rand-m9-mstd0.5-inc1</c>):
/// <c>rand</c> followed by dash-separated sections in any order, each a key and a number: <c>m</c> magnitude
/// (integer, default 10), <c>n</c> ops per image (default 2), <c>mstd</c> standard deviation of the per-op magnitude
/// noise (above 100: uniform in [0, m]), <c>mmax</c> magnitude ceiling (default 10), <c>inc</c> 1 for the increasing op
/// set, <c>p</c> probability of applying each drawn op (default 0.5).
/// </summary>
/// <remarks>
/// Stricter than timm, which skips a section without a number, lets the first <c>mstd</c>/<c>mmax</c> win over a
/// repeat, and reads <c>inc0</c> as on (<c>bool('0')</c> is true in Python): here those are errors, and <c>inc0</c> is off
/// as timm documents it. timm's <c>t</c> (named op sets) and AutoAugment/AugMix policies are not implemented.
/// </remarks>
internal sealed record RandAugmentPolicy
{
    private const string Key = "AUG.AUTO_AUGMENT";

    // timm's _RAND_TRANSFORMS (Cutout is left to RandomErasing there too).
    private static readonly AugmentOp[] s_standardOps =
    [
        AugmentOp.AutoContrast, AugmentOp.Equalize, AugmentOp.Invert, AugmentOp.Rotate, AugmentOp.Posterize,
        AugmentOp.Solarize, AugmentOp.SolarizeAdd, AugmentOp.Color, AugmentOp.Contrast, AugmentOp.Brightness,
        AugmentOp.Sharpness, AugmentOp.ShearX, AugmentOp.ShearY, AugmentOp.TranslateXRel, AugmentOp.TranslateYRel,
    ];

    // timm's _RAND_INCREASING_TRANSFORMS (inc1).
    private static readonly AugmentOp[] s_increasingOps =
    [
        AugmentOp.AutoContrast, AugmentOp.Equalize, AugmentOp.Invert, AugmentOp.Rotate, AugmentOp.PosterizeIncreasing,
        AugmentOp.SolarizeIncreasing, AugmentOp.SolarizeAdd, AugmentOp.ColorIncreasing, AugmentOp.ContrastIncreasing,
        AugmentOp.BrightnessIncreasing, AugmentOp.SharpnessIncreasing, AugmentOp.ShearX, AugmentOp.ShearY,
        AugmentOp.TranslateXRel, AugmentOp.TranslateYRel,
    ];

    public int Magnitude { get; init; } = (int)AugmentLevels.LevelDenominator;

    public int NumOps { get; init; } = 2;

    /// <summary>0: every op uses <see cref="Magnitude"/>; positive: Gaussian noise; +∞: uniform in [0, m].</summary>
    public double MagnitudeStd { get; init; }

    /// <summary>The ceiling magnitudes are clipped to; 0 means timm's default, 10.</summary>
    public int MagnitudeMax { get; init; }

    public bool Increasing { get; init; }

    public double Probability { get; init; } = 0.5;

    public IReadOnlyList<AugmentOp> Ops => Increasing ? s_increasingOps : s_standardOps;

    /// <summary>timm's <c>magnitude_max or _LEVEL_DENOM</c>.</summary>
    public double UpperBound => MagnitudeMax > 0 ? MagnitudeMax : AugmentLevels.LevelDenominator;

    /// <summary>True for the values that turn auto-augmentation off: empty or "none" (the reference's test).</summary>
    public static bool IsOff(string? value) => value is null or "" or "none" or "None";

    /// <summary>The policy of an AUG.AUTO_AUGMENT value; null when it is off.</summary>
    /// <exception cref="ConfigException">The value is not a RandAugment string this port understands.</exception>
    public static RandAugmentPolicy? FromConfig(string? value) => IsOff(value) ? null : Parse(value!);

    /// <exception cref="ConfigException">The value is not a RandAugment string this port understands.</exception>
    public static RandAugmentPolicy Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        string[] sections = value.Split('-');
        if (sections[0] != "rand")
            throw Error(value, "only RandAugment ('rand-…') is implemented");
        var policy = new RandAugmentPolicy();
        var seen = new HashSet<string>();
        foreach (string section in sections.AsSpan(1))
        {
            int digit = section.AsSpan().IndexOfAnyInRange('0', '9');
            if (digit < 0)
                throw Error(value, $"section '{section}' has no number (expected m, n, mstd, mmax, inc or p followed by one)");
            string key = section[..digit], number = section[digit..];
            if (!seen.Add(key))
                throw Error(value, $"'{key}' is given twice");
            policy = key switch
            {
                "m" => policy with { Magnitude = Whole(value, key, number) },
                "n" => policy with { NumOps = Whole(value, key, number) },
                "mstd" => policy with { MagnitudeStd = Std(value, number) },
                "mmax" => policy with { MagnitudeMax = Whole(value, key, number) },
                "inc" => policy with { Increasing = Flag(value, number) },
                "p" => policy with { Probability = Fraction(value, number) },
                _ => throw Error(value, $"unknown section '{section}' (expected m, n, mstd, mmax, inc or p followed by a number)"),
            };
        }
        return policy;
    }

    // timm samples uniformly in [0, m] for a standard deviation above 100.
    private static double Std(string value, string number) =>
        Real(value, "mstd", number) is var std && std > 100 ? double.PositiveInfinity : std;

    private static bool Flag(string value, string number) => Whole(value, "inc", number) switch
    {
        0 => false,
        1 => true,
        _ => throw Error(value, $"inc must be 0 or 1, got {number}"),
    };

    private static double Fraction(string value, string number) =>
        Real(value, "p", number) is var p && p <= 1 ? p : throw Error(value, $"p must be in [0, 1], got {number}");

    private static int Whole(string value, string key, string number) =>
        int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw Error(value, $"{key} needs a whole number, got '{number}'");

    private static double Real(string value, string key, string number) =>
        double.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture,
            out double result)
            ? result
            : throw Error(value, $"{key} needs a number, got '{number}'");

    private static ConfigException Error(string value, string problem) => new($"{Key} '{value}': {problem}");
}
