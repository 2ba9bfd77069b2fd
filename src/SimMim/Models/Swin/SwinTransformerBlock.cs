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
    // Token order of the (shifted) windows and its inverse; arrays, not tensors, so they are no state-dict keys.
    // Null when the stage is a single unshifted window (the order is the identity).
    private readonly long[]? _windowOrder;
    private readonly long[]? _tokenOrder;

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
        if (WindowSize < resolution || ShiftSize > 0)
        {
            _windowOrder = WindowGeometry.WindowOrder(resolution, resolution, WindowSize, ShiftSize);
            _tokenOrder = WindowGeometry.Inverse(_windowOrder);
        }
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
        int ws = WindowSize;
        var shortcut = x;
        // Under autocast the tokens are cast before the gather (the qkv linear would cast them anyway): half the bytes.
        var h = AutocastOps.ToCompute(AutocastOps.LayerNorm(norm1, x));                          // (B, H·W, C)
        // roll(−s) + window partition as one gather of tokens (WindowGeometry.WindowOrder); same values, one copy.
        var windows = Gather(h, _windowOrder).view(-1, ws * ws, c);                              // (B·nW, ws², C)
        windows = attn.call(windows, attn_mask);
        h = Gather(windows.view(b, l, c), _tokenOrder);                                          // (B, H·W, C)
        x = shortcut + drop_path.call(h);                                                        // fp32 + (bf16 under autocast) → fp32
        return x + drop_path.call(mlp.call(AutocastOps.LayerNorm(norm2, x)));                    // (B, H·W, C)
    }

    private static Tensor Gather(Tensor tokens, long[]? order) =>
        order is null ? tokens : tokens.index_select(1, tensor(order, device: tokens.device));
}
