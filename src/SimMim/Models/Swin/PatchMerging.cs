using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Swin;

/// <summary>2×2 patch merging: (B, H·W, C) → concat of the four 2×2 neighbours → LayerNorm(4C) → Linear(4C, 2C).</summary>
public sealed class PatchMerging : nn.Module<Tensor, Tensor>
{
    // Declared reduction before norm, the order the reference registers them in: state-dict keys and
    // named_parameters() (which PyTorch optimizer state is indexed by) then line up with PyTorch's.
    private readonly Linear reduction;
    private readonly LayerNorm norm;

    public PatchMerging(int resolution, int dim) : base(nameof(PatchMerging))
    {
        Resolution = resolution;
        reduction = nn.Linear(4 * dim, 2 * dim, hasBias: false);
        norm = nn.LayerNorm(4 * dim);
        RegisterComponents();
    }

    /// <summary>Input grid side (square).</summary>
    public int Resolution { get; }

    public override Tensor forward(Tensor x)
    {
        var (b, c) = (x.shape[0], x.shape[2]);
        int r = Resolution;
        x = x.view(b, r, r, c);                                 // (B, H, W, C)
        // Order x0=[0::2,0::2], x1=[1::2,0::2], x2=[0::2,1::2], x3=[1::2,1::2] as in the reference (key layout).
        var x0 = x[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2)];
        var x1 = x[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(0, null, 2)];
        var x2 = x[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(1, null, 2)];
        var x3 = x[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(1, null, 2)];
        x = cat([x0, x1, x2, x3], -1).view(b, -1, 4 * c);      // (B, H/2·W/2, 4C)
        // The next stage's residual stream starts here, so under autocast it goes back to fp32.
        return AutocastOps.ToFloat32(AutocastOps.Linear(reduction, AutocastOps.LayerNorm(norm, x)));   // (B, H/2·W/2, 2C)
    }
}
