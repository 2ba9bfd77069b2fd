namespace SimMim.Data;

/// <summary>
/// A view of some samples of another data set, in the given order; class names and count are the parent's. Used
/// for label fractions (the 1 % / 10 % / 100 % experiments) through <see cref="Stratified"/>.
/// </summary>
public sealed class SubsetDataset : IImageDataset
{
    private readonly IImageDataset _parent;
    private readonly int[] _indices;

    public SubsetDataset(IImageDataset parent, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(indices);
        foreach (int i in indices)
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)i, (uint)parent.Count, nameof(indices));
        _parent = parent;
        _indices = [.. indices];
    }

    /// <summary>The data set this is a view of.</summary>
    public IImageDataset Parent => _parent;

    /// <summary>Indices into the parent data set, in this view's order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    public int Count => _indices.Length;

    public int NumClasses => _parent.NumClasses;

    public IReadOnlyList<string> ClassNames => _parent.ClassNames;

    public int Label(int index) => _parent.Label(_indices[index]);

    public RgbImage Load(int index) => _parent.Load(_indices[index]);

    public string Describe(int index) => _parent.Describe(_indices[index]);

    /// <summary>
    /// A class-stratified random subset: from every class, round(fraction · its count) samples (at least one when
    /// the class has any), chosen by a shuffle seeded by (seed, class), returned in the parent's order. The same
    /// seed gives the same subset; a larger fraction of the same seed contains a smaller one's samples.
    /// </summary>
    /// <exception cref="ConfigException">The fraction is not in (0, 1].</exception>
    public static SubsetDataset Stratified(IImageDataset parent, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (!(fraction > 0 && fraction <= 1))
            throw new ConfigException($"label fraction must be in (0, 1], got {fraction}");
        var chosen = new List<int>();
        foreach (int[] members in ShuffledClasses(parent, seed, salt: -2))
        {
            int take = Math.Clamp(RoundedShare(fraction, members.Length), 1, members.Length);
            chosen.AddRange(members.Take(take));
        }
        chosen.Sort();
        return new SubsetDataset(parent, chosen);
    }

    /// <summary>
    /// Splits a labelled set in two, class by class: round(fraction · the class's count) samples are held out (at
    /// least one, and never a class's last), the rest stay; both in the parent's order. A validation set carved from
    /// the training images, so recipes can be chosen without looking at the test set. The shuffle is independent of
    /// <see cref="Stratified"/>'s, so a label fraction of the rest is as random as one of the whole.
    /// </summary>
    /// <exception cref="ConfigException">The fraction is not in (0, 1).</exception>
    public static (SubsetDataset Kept, SubsetDataset HeldOut) HoldOut(IImageDataset parent, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (!(fraction > 0 && fraction < 1))
            throw new ConfigException($"hold-out fraction must be in (0, 1), got {fraction}");
        var rest = new List<int>();
        var heldOut = new List<int>();
        foreach (int[] members in ShuffledClasses(parent, seed, salt: -3))
        {
            int take = members.Length < 2 ? 0 : Math.Clamp(RoundedShare(fraction, members.Length), 1, members.Length - 1);
            heldOut.AddRange(members.Take(take));
            rest.AddRange(members.Skip(take));
        }
        rest.Sort();
        heldOut.Sort();
        return (new SubsetDataset(parent, rest), new SubsetDataset(parent, heldOut));
    }

    private static int RoundedShare(double fraction, int count) =>
        (int)Math.Round(fraction * count, MidpointRounding.AwayFromZero);

    /// <summary>The indices of every non-empty class, each shuffled by its own seed (seed, class, salt).</summary>
    private static IEnumerable<int[]> ShuffledClasses(IImageDataset parent, int seed, int salt)
    {
        var byClass = new List<int>[parent.NumClasses];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = [];
        for (int i = 0; i < parent.Count; i++)
            byClass[parent.Label(i)].Add(i);
        for (int c = 0; c < byClass.Length; c++)
        {
            if (byClass[c].Count == 0) continue;
            int[] members = [.. byClass[c]];
            new Random(SeedMix.Combine(seed, c, salt)).Shuffle(members);
            yield return members;
        }
    }
}
