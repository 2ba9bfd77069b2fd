namespace SimMim.Data;

/// <summary>The order in which a loader reads its data set in an epoch.</summary>
internal static class SampleOrder
{
    /// <summary>
    /// A Fisher–Yates permutation of 0 … count − 1 seeded by (seed, epoch): the same on every rank of a data-parallel
    /// run and after any resume. (The loaders' per-sample streams use (seed, epoch, position ≥ 0); -1 keeps this apart.)
    /// </summary>
    public static int[] Shuffled(int count, int seed, int epoch)
    {
        int[] order = Sequential(count);
        new Random(SeedMix.Combine(seed, epoch, -1)).Shuffle(order);
        return order;
    }

    /// <summary>0 … count − 1.</summary>
    public static int[] Sequential(int count)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        return order;
    }
}
