using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Swin;

/// <summary>
/// Swin block: (shifted) window attention + MLP, both pre-norm residual. Geometry is fixed at construction:
/// when the stage is no larger than the window, the window shrinks to the stage and the shift is dropped.
/// </summary>
public sealed class SwinTransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly WindowAttention attn;
    private readonly DropPath drop_path;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    // Saved in the reference's state dict only for shifted blocks (register_buffer of None otherwise).
    private readonly Tensor? attn_mask;

    public SwinTransformerBlock(int dim, int resolution, int numHeads, int windowSize, int shiftSize, double mlpRatio,
        bool qkvBias, double? qkScale, double dropPath) : base(nameof(SwinTransformerBlock))
    {
        (WindowSize, ShiftSize) = ClipWindow(resolution, windowSize, shiftSize);
        Resolution = resolution;
        norm1 = nn.LayerNorm(dim);
        attn = new WindowAttention(dim, WindowSize, numHeads, qkvBias, qkScale);
        drop_path = new DropPath(dropPath);
        norm2 = nn.LayerNorm(dim);
        mlp = new Mlp(dim, (long)(dim * mlpRatio));
        attn_mask = ShiftSize > 0 ? WindowGeometry.ShiftedWindowMask(resolution, resolution, WindowSize, ShiftSize) : null;
        RegisterComponents();
    }

    public int Resolution { get; }
    public int WindowSize { get; }
    public int ShiftSize { get; }

    /// <summary>The reference's rule: min(resolution) ≤ window → window = resolution, shift = 0.</summary>
    public static (int WindowSize, int ShiftSize) ClipWindow(int resolution, int windowSize, int shiftSize) =>
        resolution <= windowSize ? (resolution, 0) : (windowSize, shiftSize);

    /// <param name="x">(B, H·W, C)</param>
    public override Tensor forward(Tensor x)
    {
        var (b, l, c) = (x.shape[0], x.shape[1], x.shape[2]);
        int r = Resolution, ws = WindowSize, s = ShiftSize;
        var shortcut = x;
        x = AutocastOps.LayerNorm(norm1, x).view(b, r, r, c);                    // (B, H, W, C)
        if (s > 0)
        {
            x = x.roll([-s, -s], [1, 2]);
        }
        var windows = WindowGeometry.Partition(x, ws).view(-1, ws * ws, c);     // (B·nW, ws², C)
        windows = attn.call(windows, attn_mask);
        x = WindowGeometry.Reverse(windows.view(-1, ws, ws, c), ws, r, r);       // (B, H, W, C)
        if (s > 0)
        {
            x = x.roll([s, s], [1, 2]);
        }
        x = shortcut + drop_path.call(x.view(b, l, c));                          // fp32 + (bf16 under autocast) → fp32
        return x + drop_path.call(mlp.call(AutocastOps.LayerNorm(norm2, x)));    // (B, H·W, C)
    }
}
