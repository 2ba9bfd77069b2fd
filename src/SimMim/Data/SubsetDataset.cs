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
        var byClass = new List<int>[parent.NumClasses];
        for (int c = 0; c < byClass.Length; c++) byClass[c] = [];
        for (int i = 0; i < parent.Count; i++)
            byClass[parent.Label(i)].Add(i);
        var chosen = new List<int>();
        for (int c = 0; c < byClass.Length; c++)
        {
            int[] members = [.. byClass[c]];
            if (members.Length == 0) continue;
            new Random(SeedMix.Combine(seed, c, -2)).Shuffle(members);
            int take = Math.Clamp((int)Math.Round(fraction * members.Length, MidpointRounding.AwayFromZero), 1, members.Length);
            chosen.AddRange(members.Take(take));
        }
        chosen.Sort();
        return new SubsetDataset(parent, chosen);
    }
}
