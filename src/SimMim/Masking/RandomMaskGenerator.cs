namespace SimMim.Masking;

/// <summary>
/// SimMIM's random block mask (spec §1): the image is cut into square mask patches, a fixed number of them is chosen
/// uniformly without replacement and each chosen patch masks the scale×scale model tokens it covers.
/// </summary>
public sealed class RandomMaskGenerator : IMaskGenerator
{
    // Block grids up to this many cells shuffle on the stack; 64² covers every practical size (e.g. 2048 px / 32).
    private const int StackLimit = 4096;

    /// <param name="inputSize">Image side in pixels (DATA.IMG_SIZE).</param>
    /// <param name="maskPatchSize">Side of one masked block in pixels (DATA.MASK_PATCH_SIZE).</param>
    /// <param name="modelPatchSize">Side of one encoder token in pixels (MODEL.VIT.PATCH_SIZE / MODEL.SWIN.PATCH_SIZE).</param>
    /// <param name="maskRatio">Fraction of blocks to mask, in (0, 1) (DATA.MASK_RATIO).</param>
    /// <exception cref="ConfigException">The sizes do not divide each other or the ratio is out of range.</exception>
    public RandomMaskGenerator(int inputSize, int maskPatchSize, int modelPatchSize, double maskRatio)
    {
        if (inputSize <= 0)
        {
            throw new ConfigException($"DATA.IMG_SIZE must be positive, got {inputSize}");
        }
        if (maskPatchSize <= 0)
        {
            throw new ConfigException($"DATA.MASK_PATCH_SIZE must be positive, got {maskPatchSize}");
        }
        if (modelPatchSize <= 0)
        {
            throw new ConfigException($"the model patch size (MODEL.*.PATCH_SIZE) must be positive, got {modelPatchSize}");
        }
        // The reference asserts both divisibilities (data_simmim.py); we say which keys to change instead.
        if (inputSize % maskPatchSize != 0)
        {
            throw new ConfigException(
                $"DATA.IMG_SIZE ({inputSize}) must be a multiple of DATA.MASK_PATCH_SIZE ({maskPatchSize})");
        }
        if (maskPatchSize % modelPatchSize != 0)
        {
            throw new ConfigException(
                $"DATA.MASK_PATCH_SIZE ({maskPatchSize}) must be a multiple of the model patch size (MODEL.*.PATCH_SIZE = {modelPatchSize})");
        }
        if (!(maskRatio > 0 && maskRatio < 1))
        {
            throw new ConfigException($"DATA.MASK_RATIO must be in (0, 1), got {maskRatio}");
        }

        InputSize = inputSize;
        MaskPatchSize = maskPatchSize;
        ModelPatchSize = modelPatchSize;
        MaskRatio = maskRatio;
        RandSize = inputSize / maskPatchSize;
        Scale = maskPatchSize / modelPatchSize;
        TokenGrid = inputSize / modelPatchSize;
        BlockCount = RandSize * RandSize;
        // float64 product then ceil, as numpy does: 36·0.6 = 21.599999999999998 → 22 (spec §1 table).
        MaskCount = (int)Math.Ceiling(BlockCount * maskRatio);
    }

    public int InputSize { get; }

    public int MaskPatchSize { get; }

    public int ModelPatchSize { get; }

    public double MaskRatio { get; }

    /// <summary>Mask blocks per side (the reference's <c>rand_size</c>).</summary>
    public int RandSize { get; }

    /// <summary>Tokens per mask block side (the reference's <c>scale</c>).</summary>
    public int Scale { get; }

    /// <summary>Tokens per side of the mask: Ht = Wt = input size / model patch size.</summary>
    public int TokenGrid { get; }

    /// <summary>Number of mask blocks, RandSize².</summary>
    public int BlockCount { get; }

    /// <summary>Blocks masked per sample: ceil(RandSize² × ratio).</summary>
    public int MaskCount { get; }

    /// <summary>Length of one mask, Ht × Wt.</summary>
    public int TokenCount => TokenGrid * TokenGrid;

    /// <summary>
    /// Fills <paramref name="destination"/> (row-major Ht×Wt) with 0/1, 1 = masked. Thread-safe; all randomness
    /// comes from <paramref name="rng"/>.
    /// </summary>
    public void Generate(Random rng, Span<long> destination)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (destination.Length != TokenCount)
        {
            throw new ArgumentException($"mask needs {TokenCount} elements, got {destination.Length}", nameof(destination));
        }

        int[]? rented = null;
        Span<int> blocks = BlockCount <= StackLimit
            ? stackalloc int[BlockCount]
            : (rented = System.Buffers.ArrayPool<int>.Shared.Rent(BlockCount)).AsSpan(0, BlockCount);
        try
        {
            for (int i = 0; i < blocks.Length; i++)
            {
                blocks[i] = i;
            }
            // Partial Fisher–Yates: the first MaskCount entries are a uniform sample without replacement,
            // the same distribution as permutation(token_count)[:mask_count].
            for (int i = 0; i < MaskCount; i++)
            {
                int j = rng.Next(i, blocks.Length);
                (blocks[i], blocks[j]) = (blocks[j], blocks[i]);
            }

            destination.Clear();
            for (int k = 0; k < MaskCount; k++)
            {
                int by = blocks[k] / RandSize;
                int bx = blocks[k] % RandSize;
                for (int ty = by * Scale; ty < (by + 1) * Scale; ty++)
                {
                    destination.Slice(ty * TokenGrid + bx * Scale, Scale).Fill(1);
                }
            }
        }
        finally
        {
            if (rented != null)
            {
                System.Buffers.ArrayPool<int>.Shared.Return(rented);
            }
        }
    }
}
