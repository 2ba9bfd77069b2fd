namespace SimMim.Benchmarking;

/// <summary>
/// Forward FLOPs of one image through a SimMIM model, by part; a multiply-add counts as 2 FLOPs and only matrix
/// products are counted (norms, softmax, GELU, the mask blend and the loss are a few percent at most).
/// </summary>
/// <param name="PatchEmbed">The patch-embedding convolution.</param>
/// <param name="Linears">qkv, output projection and MLP linears of every block.</param>
/// <param name="Attention">q·kᵀ and attention·v of every block (per window for Swin).</param>
/// <param name="PatchMerging">Swin's 4C → 2C reductions.</param>
/// <param name="Decoder">The prediction head's 1×1 convolution.</param>
public sealed record FlopCount(long PatchEmbed, long Linears, long Attention, long PatchMerging, long Decoder)
{
    /// <summary>Backward costs about twice the forward (gradients of inputs and of weights), so a step is ≈ 3 forwards.</summary>
    public const int TrainingMultiplier = 3;

    public long Forward => PatchEmbed + Linears + Attention + PatchMerging + Decoder;

    /// <summary>Forward + backward per image.</summary>
    public long Training => TrainingMultiplier * Forward;
}
