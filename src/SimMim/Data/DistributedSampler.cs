namespace SimMim.Data;

/// <summary>
/// Which positions of an epoch's shared sample order one rank reads, as PyTorch's DistributedSampler does: rank r
/// takes positions r, r + W, r + 2W, … For training the order is first padded by wrapping around to a multiple of
/// the world size W (DistributedSampler with drop_last=False, the reference's setting), so every rank gets the same
/// number of samples. Local batch k of every rank together then holds global positions k·B … (k+1)·B − 1 with
/// B = W × local batch: exactly the samples of batch k of one process with batch B. One rank reads the order as is.
/// </summary>
public sealed class DistributedSampler
{
    public static readonly DistributedSampler Single = new(0, 1);

    public DistributedSampler(int rank, int worldSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        Rank = rank;
        WorldSize = worldSize;
    }

    public int Rank { get; }

    public int WorldSize { get; }

    /// <summary>
    /// Samples this rank reads of <paramref name="count"/>: ⌈count / W⌉ when padded; otherwise only the real
    /// positions (evaluation, where every sample must be counted exactly once).
    /// </summary>
    public int SamplesPerRank(int count, bool pad) =>
        pad ? (count + WorldSize - 1) / WorldSize : (count - Rank + WorldSize - 1) / WorldSize;

    /// <summary>
    /// The epoch position of this rank's <paramref name="localPosition"/>-th sample; per-sample randomness is seeded
    /// by it, so a sample is augmented and masked the same whichever rank reads it.
    /// </summary>
    public int GlobalPosition(int localPosition) => localPosition * WorldSize + Rank;

    /// <summary>The data-set index at this rank's <paramref name="localPosition"/>; padding wraps to the start of <paramref name="order"/>.</summary>
    public int SampleAt(int[] order, int localPosition) => order[GlobalPosition(localPosition) % order.Length];
}
