using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>
/// Truncated normal initialisation written here because TorchSharp 0.107's <c>nn.init.trunc_normal_</c> swaps
/// mean and std (see notes/TORCHSHARP.md). Values are drawn from N(mean, std²) and every element outside
/// [lower, upper] is redrawn until none is left, which samples the exact truncated distribution.
/// </summary>
public static class TruncatedNormal
{
    /// <summary>Fills <paramref name="tensor"/> in place; bounds are absolute values, as in timm's a/b.</summary>
    public static Tensor Fill(Tensor tensor, double mean, double std, double lower, double upper)
    {
        if (!(lower < upper))
        {
            throw new ArgumentException($"lower bound {lower} must be below upper bound {upper}");
        }
        if (!(std > 0))
        {
            throw new ArgumentException($"std must be positive, got {std}", nameof(std));
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var values = empty(tensor.shape, ScalarType.Float32).normal_(mean, std);
        // Redraw only the rejected elements; with ±1σ bounds about 32 % are redrawn per round.
        for (int round = 0; round < 1000; round++)
        {
            var outside = values.lt(lower).logical_or(values.gt(upper));
            if (!outside.any().item<bool>())
            {
                tensor.copy_(values);
                return tensor;
            }
            var fresh = empty_like(values).normal_(mean, std);
            values = where(outside, fresh, values);
        }
        throw new InvalidOperationException($"truncated normal did not converge for bounds [{lower}, {upper}]");
    }

    /// <summary>timm's default: N(mean, std²) truncated at the absolute bounds ±2 (effectively untruncated for std .02).</summary>
    public static Tensor FillTimmDefault(Tensor tensor, double std = 0.02) => Fill(tensor, 0, std, -2, 2);
}
