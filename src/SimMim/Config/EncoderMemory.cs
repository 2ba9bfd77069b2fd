namespace SimMim.Config;

/// <summary>What an encoder family gives <see cref="MemoryEstimate"/> (counts of fp32 values, not bytes).</summary>
/// <param name="Parameters">Encoder weights.</param>
/// <param name="ActivationsPerImage">What every block keeps for the backward pass, per image.</param>
/// <param name="LargestBlockPerImage">The largest single block's kept activations, per image (inference).</param>
/// <param name="Tokens">Tokens per image entering the first block.</param>
/// <param name="Features">Channels of the output feature map.</param>
/// <param name="Stride">Pixels per output cell.</param>
public sealed record EncoderMemory(double Parameters, double ActivationsPerImage, double LargestBlockPerImage, double Tokens,
    double Features, double Stride)
{
    /// <summary>
    /// One transformer block over <paramref name="tokens"/> tokens of width C = <paramref name="dim"/>: weights 4C²
    /// (qkv + proj) + 2CH (MLP, H = <paramref name="hidden"/>); kept activations L·(C + 3C + H) plus the attention
    /// probabilities L·heads·keys.
    /// </summary>
    public static (double Weights, double Activations) Block(double tokens, double dim, double hidden, double heads, double keys) =>
        (4 * dim * dim + 2 * dim * hidden, tokens * (4 * dim + hidden + heads * keys));
}
