using System.Globalization;

namespace SimMim.Config;

/// <summary>
/// The values a numeric setting may take: an interval, each end open or closed, and whole numbers only when
/// <see cref="Integer"/> is set. NaN and ±∞ are outside every range. <see cref="ConfigRanges"/> and
/// <see cref="OptionRanges"/> hold the instances; this type only compares and words the message.
/// </summary>
/// <param name="Min">Lowest value (or the open lower end when <paramref name="MinExclusive"/>).</param>
/// <param name="Max">Highest value (or the open upper end when <paramref name="MaxExclusive"/>); ∞ = no upper end.</param>
/// <param name="MinExclusive">The lower end itself is outside.</param>
/// <param name="MaxExclusive">The upper end itself is outside.</param>
/// <param name="Integer">Whole numbers only.</param>
/// <param name="Note">What the special values mean, e.g. "0 = off"; shown in the message.</param>
public sealed record ValueRange(double Min, double Max, bool MinExclusive = false, bool MaxExclusive = false,
    bool Integer = false, string? Note = null)
{
    /// <summary>Whole numbers from <paramref name="min"/> up (and at most <paramref name="max"/> when given).</summary>
    public static ValueRange Count(int min, int? max = null, string? note = null) =>
        new(min, max ?? double.PositiveInfinity, Integer: true, Note: note);

    /// <summary>Numbers from <paramref name="min"/> (inclusive) up, without an upper end.</summary>
    public static ValueRange AtLeast(double min, string? note = null) => new(min, double.PositiveInfinity, Note: note);

    /// <summary>Numbers above 0.</summary>
    public static ValueRange Positive(string? note = null) => new(0, double.PositiveInfinity, MinExclusive: true, Note: note);

    /// <summary>Numbers from <paramref name="min"/> to <paramref name="max"/>, each end open or closed.</summary>
    public static ValueRange Between(double min, double max, bool minExclusive = false, bool maxExclusive = false, string? note = null) =>
        new(min, max, minExclusive, maxExclusive, Note: note);

    public bool Contains(double value) =>
        double.IsFinite(value)
        && (MinExclusive ? value > Min : value >= Min)
        && (double.IsPositiveInfinity(Max) || (MaxExclusive ? value < Max : value <= Max))
        && (!Integer || Math.Floor(value) == value);

    /// <summary>"at least 1", "in (0, 1]", "greater than 0", "from 1 to 2"; with the note in parentheses.</summary>
    public string Describe()
    {
        string text = (Integer, double.IsPositiveInfinity(Max)) switch
        {
            _ when Min == Max => Show(Min),
            (true, true) => $"at least {Show(MinExclusive ? Min + 1 : Min)}",
            (true, false) => $"from {Show(MinExclusive ? Min + 1 : Min)} to {Show(MaxExclusive ? Max - 1 : Max)}",
            (false, true) => MinExclusive ? $"greater than {Show(Min)}" : $"at least {Show(Min)}",
            _ => $"in {(MinExclusive ? '(' : '[')}{Show(Min)}, {Show(Max)}{(MaxExclusive ? ')' : ']')}",
        };
        return Note is null ? text : $"{text} ({Note})";
    }

    /// <summary>Null when <paramref name="value"/> is in range, else "NAME must be …, got VALUE".</summary>
    public string? Check(string name, double value) =>
        Contains(value) ? null : $"{name} must be {Describe()}, got {Show(value)}";

    /// <summary>Throws the <see cref="Check"/> message as a <see cref="ConfigException"/>.</summary>
    public void Require(string name, double value)
    {
        if (Check(name, value) is { } problem)
        {
            throw new ConfigException(problem);
        }
    }

    private static string Show(double value) => value.ToString("G", CultureInfo.InvariantCulture);
}
