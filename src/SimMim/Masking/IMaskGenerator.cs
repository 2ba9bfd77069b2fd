namespace SimMim.Masking;

/// <summary>
/// Draws the token masks of SimMIM's input (1 = the token's patch embedding is replaced by the mask token). Every
/// place that masks images (the pretraining loader, reconstruction grids, benchmarks) takes this seam, and
/// <see cref="MaskGenerators.FromConfig"/> is the one place that picks an implementation from the config.
/// </summary>
public interface IMaskGenerator
{
    /// <summary>Image side in pixels the masks are drawn for (DATA.IMG_SIZE).</summary>
    int InputSize { get; }

    /// <summary>Tokens per side of a mask: input size / model patch size.</summary>
    int TokenGrid { get; }

    /// <summary>Length of one mask, <see cref="TokenGrid"/>².</summary>
    int TokenCount => TokenGrid * TokenGrid;

    /// <summary>
    /// Fills <paramref name="destination"/> (row-major TokenGrid × TokenGrid) with 0/1, 1 = masked. Thread-safe; all
    /// randomness comes from <paramref name="rng"/>, so a seeded stream gives the same masks on every run.
    /// </summary>
    void Generate(Random rng, Span<long> destination);
}
