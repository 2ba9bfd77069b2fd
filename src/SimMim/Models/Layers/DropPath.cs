using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>
/// Stochastic depth (timm <c>drop_path</c>): in training, each sample's residual branch is zeroed with
/// probability p and the survivors are scaled by 1/(1−p); identity in eval mode or when p = 0.
/// </summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    public DropPath(double dropProb) : base(nameof(DropPath))
    {
        if (dropProb < 0 || dropProb >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dropProb), dropProb, "drop path rate must be in [0, 1)");
        }
        DropProb = dropProb;
        RegisterComponents();
    }

    public double DropProb { get; }

    /// <summary>True when <see cref="forward"/> returns its input unchanged: p = 0, or eval mode.</summary>
    public bool IsIdentity => DropProb == 0 || !training;

    /// <summary>linspace(0, rate, count): the per-block rates of stochastic depth.</summary>
    public static double[] Rates(double rate, int count) =>
        Enumerable.Range(0, count).Select(i => count == 1 ? 0.0 : rate * i / (count - 1)).ToArray();

    public override Tensor forward(Tensor x)
    {
        if (IsIdentity)
        {
            return x;
        }
        double keep = 1 - DropProb;
        var shape = new long[x.dim()];
        Array.Fill(shape, 1L);
        shape[0] = x.shape[0];
        var keepMask = empty(shape, x.dtype, x.device).bernoulli_(keep);   // (B, 1, ..., 1)
        return x * keepMask / keep;
    }
}
