using static SimMim.Config.ValueRange;

namespace SimMim.Config;

/// <summary>
/// The ranges of the run options that are not config keys (the command line's --steps-per-epoch, --threads …),
/// beside <see cref="ConfigRanges"/> so that every numeric bound lives in this folder. Options that override a
/// config key (--batch-size, --accumulation-steps, --img-size, --seed) use that key's range.
/// </summary>
public static class OptionRanges
{
    /// <summary>--steps-per-epoch: 0 steps would finish "epochs" with a NaN mean loss and a checkpoint of nothing.</summary>
    public static ValueRange StepsPerEpoch { get; } = Count(1);

    /// <summary>
    /// --threads (and OMP_NUM_THREADS): 1 to the logical cores this process may use. libtorch's intra-op pool
    /// beyond the cores only time-slices — 1000 threads made one demo step take 30 s on 2 cores, and 100 000 hung
    /// while creating them — so a larger number is refused rather than quietly slow.
    /// </summary>
    public static ValueRange Threads => Count(1, Environment.ProcessorCount, "the logical cores of this machine");

    /// <summary>--eval-freq, in epochs.</summary>
    public static ValueRange EvalFrequency { get; } = Count(1);

    /// <summary>--label-fraction: the share of training labels kept.</summary>
    public static ValueRange LabelFraction { get; } = Between(0, 1, minExclusive: true);

    /// <summary>--holdout: the share of training images held out for validation.</summary>
    public static ValueRange Holdout { get; } = Between(0, 1, maxExclusive: true, note: "0 = the validation split");

    /// <summary>--block: the ViT block whose tokens the linear probe reads (clamped to the depth).</summary>
    public static ValueRange ProbeBlock { get; } = Count(1);

    /// <summary>--count of reconstruct: one grid row per image; more rows than this make an image no viewer opens.</summary>
    public static ValueRange ReconstructCount { get; } = Count(1, 1024);

    /// <summary>--steps of benchmark.</summary>
    public static ValueRange BenchmarkSteps { get; } = Count(1);

    /// <summary>--warmup of benchmark.</summary>
    public static ValueRange BenchmarkWarmup { get; } = Count(0);

    /// <summary>--iterations of mpi-check.</summary>
    public static ValueRange MpiIterations { get; } = Count(1);
}
