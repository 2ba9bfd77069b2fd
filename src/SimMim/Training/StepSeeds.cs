using SimMim.Data;
using TorchSharp;

namespace SimMim.Training;

/// <summary>
/// The randomness of a training step drawn from (SEED, global step) instead of from a generator that runs across
/// steps: drop path (torch's global generator) and Mixup/CutMix see the same numbers at step k whether the run got
/// there straight or through any number of checkpoints and resumes, and there is no generator state to save. (Data
/// order, crops, flips and masks are already seeded by (SEED, epoch, sample position) in the loaders.)
/// </summary>
internal static class StepSeeds
{
    // Stream tags keep these seeds apart from the loaders' (seed, epoch, position ≥ 0) and (seed, epoch, -1).
    private const int TorchStream = -2;
    private const int MixupStream = -3;

    /// <summary>Seeds torch's global generator for the forward and backward of loader iteration <paramref name="globalStep"/>.</summary>
    public static void SeedTorch(int seed, long globalStep) =>
        torch.random.manual_seed(SeedMix.Combine(seed, globalStep, TorchStream));

    /// <summary>The generator Mixup/CutMix draws from at loader iteration <paramref name="globalStep"/>.</summary>
    public static Random Mixup(int seed, long globalStep) => new(SeedMix.Combine(seed, globalStep, MixupStream));
}
