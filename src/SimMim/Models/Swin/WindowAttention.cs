using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Swin;

/// <summary>Window multi-head self-attention with a learnt relative position bias ((2ws−1)² × heads table).</summary>
public sealed class WindowAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Parameter relative_position_bias_table;
    private readonly Tensor relative_position_index;
    private readonly Linear qkv;
    private readonly Linear proj;

    public WindowAttention(int dim, int windowSize, int numHeads, bool qkvBias, double? qkScale) : base(nameof(WindowAttention))
    {
        WindowSize = windowSize;
        NumHeads = numHeads;
        Scale = qkScale ?? Math.Pow(dim / numHeads, -0.5);
        relative_position_bias_table = new Parameter(zeros((2 * windowSize - 1) * (2 * windowSize - 1), numHeads));
        relative_position_index = WindowGeometry.RelativePositionIndex(windowSize);
        qkv = nn.Linear(dim, 3 * dim, hasBias: qkvBias);
        proj = nn.Linear(dim, dim);
        RegisterComponents();
        TruncatedNormal.FillTimmDefault(relative_position_bias_table);
    }

    public int WindowSize { get; }
    public int NumHeads { get; }
    public double Scale { get; }

    /// <param name="x">(B·nW, N, C) window tokens, N = ws².</param>
    /// <param name="mask">(nW, N, N) with 0 / −100, or null.</param>
    public override Tensor forward(Tensor x, Tensor? mask)
    {
        var (bw, n, c) = (x.shape[0], x.shape[1], x.shape[2]);
        var qkvOut = AutocastOps.Linear(qkv, x).reshape(bw, n, 3, NumHeads, c / NumHeads).permute(2, 0, 3, 1, 4);   // (3, B·nW, nH, N, hd)
        var (q, k, v) = (qkvOut[0] * Scale, qkvOut[1], qkvOut[2]);
        // Scores in the compute type, then bias, mask and softmax in fp32 (no-op casts outside autocast).
        var attn = AutocastOps.ToFloat32(AutocastOps.Matmul(q, k.transpose(-2, -1)));                 // (B·nW, nH, N, N)
        var bias = relative_position_bias_table.index_select(0, relative_position_index.view(-1))
            .view(n, n, -1).permute(2, 0, 1);                                                         // (nH, N, N)
        attn = attn + bias.unsqueeze(0);
        if (mask is not null)
        {
            var nw = mask.shape[0];
            attn = attn.view(bw / nw, nw, NumHeads, n, n) + mask.unsqueeze(1).unsqueeze(0);          // (B, nW, nH, N, N)
            attn = attn.view(-1, NumHeads, n, n);
        }
        attn = attn.softmax(-1);
        var o = AutocastOps.Matmul(attn, v).transpose(1, 2).reshape(bw, n, c);                        // (B·nW, N, C)
        return AutocastOps.Linear(proj, o);
    }
}
