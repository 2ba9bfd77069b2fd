using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Vit;

/// <summary>
/// BEiT multi-head self-attention: qkv Linear without bias plus separate q_bias/v_bias (k has none), optional
/// per-block relative position bias, plus an optional shared bias passed in by the caller.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear qkv;
    private readonly Parameter? q_bias;
    private readonly Parameter? v_bias;
    private readonly Parameter? relative_position_bias_table;
    private readonly Tensor? relative_position_index;
    private readonly Linear proj;

    /// <param name="dim">Token width C.</param>
    /// <param name="numHeads">Heads; C must be divisible by it.</param>
    /// <param name="qkvBias">Adds q_bias and v_bias.</param>
    /// <param name="gridSize">Patch grid side for a per-block relative position bias; null = none.</param>
    public Attention(int dim, int numHeads, bool qkvBias, int? gridSize) : base(nameof(Attention))
    {
        NumHeads = numHeads;
        qkv = nn.Linear(dim, 3 * dim, hasBias: false);
        if (qkvBias)
        {
            q_bias = new Parameter(zeros(dim));
            v_bias = new Parameter(zeros(dim));
        }
        if (gridSize is int g)
        {
            relative_position_bias_table = new Parameter(zeros(RelativePositionBias.NumRelativeDistance(g), numHeads));
            relative_position_index = RelativePositionBias.BuildIndex(g);
        }
        proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    public int NumHeads { get; }

    /// <summary>Output projection; the ViT rescales its weight by 1/sqrt(2·layer_id).</summary>
    internal Linear Proj => proj;

    /// <param name="x">(B, N, C) tokens.</param>
    /// <param name="relPosBias">Shared bias (nH, N, N) or null.</param>
    public override Tensor forward(Tensor x, Tensor? relPosBias)
    {
        var (b, n, c) = (x.shape[0], x.shape[1], x.shape[2]);
        Tensor? bias = q_bias is null ? null : cat([q_bias, zeros_like(v_bias!), v_bias!]);   // (3C); k has no bias
        var qkvOut = AutocastOps.Linear(x, qkv.weight, bias);                                   // (B, N, 3C)
        qkvOut = qkvOut.reshape(b, n, 3, NumHeads, c / NumHeads).permute(2, 0, 3, 1, 4);     // (3, B, nH, N, hd)
        var (q, k, v) = (qkvOut[0], qkvOut[1], qkvOut[2]);

        Tensor? attnBias = relPosBias;
        if (relative_position_bias_table is not null)
        {
            var own = RelativePositionBias.Lookup(relative_position_bias_table, relative_position_index!);   // (nH, N, N)
            attnBias = attnBias is null ? own : attnBias + own;
        }
        // softmax(q·kᵀ/sqrt(hd) + bias)·v; the fused kernel uses the reference's scale hd^-0.5.
        var o = AutocastOps.Attention(q, k, v, attnBias);   // (B, nH, N, hd)
        o = o.transpose(1, 2).reshape(b, n, c);              // (B, N, C)
        return AutocastOps.Linear(proj, o);
    }
}
