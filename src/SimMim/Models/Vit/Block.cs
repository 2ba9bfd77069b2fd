using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Vit;

/// <summary>Pre-norm transformer block with optional layer scale: x += dp(γ1·attn(norm1 x)); x += dp(γ2·mlp(norm2 x)).</summary>
public sealed class Block : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly Attention attn;
    private readonly DropPath drop_path;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly Parameter? gamma_1;
    private readonly Parameter? gamma_2;

    public Block(int dim, int numHeads, double mlpRatio, bool qkvBias, double dropPath, double? initValues,
        double layerNormEps, int? rpbGridSize) : base(nameof(Block))
    {
        norm1 = nn.LayerNorm(dim, layerNormEps);
        attn = new Attention(dim, numHeads, qkvBias, rpbGridSize);
        drop_path = new DropPath(dropPath);
        norm2 = nn.LayerNorm(dim, layerNormEps);
        mlp = new Mlp(dim, (long)(dim * mlpRatio));
        if (initValues is double gamma)
        {
            gamma_1 = new Parameter(full(dim, gamma));
            gamma_2 = new Parameter(full(dim, gamma));
        }
        RegisterComponents();
    }

    internal Attention Attn => attn;
    internal Mlp Mlp => mlp;

    /// <param name="x">(B, N, C)</param>
    /// <param name="relPosBias">Shared relative position bias (nH, N, N) or null.</param>
    public override Tensor forward(Tensor x, Tensor? relPosBias)
    {
        // Under autocast a and m are bf16; the adds promote, so the residual stream x stays fp32.
        var a = attn.call(AutocastOps.LayerNorm(norm1, x), relPosBias);
        x = Residual(x, gamma_1, a);
        var m = mlp.call(AutocastOps.LayerNorm(norm2, x));
        return Residual(x, gamma_2, m);   // (B, N, C)
    }

    /// <summary>
    /// x + drop_path(γ·branch). With no drop path to apply and one dtype throughout it is a single addcmul, which
    /// writes one (B, N, C) tensor where multiply-then-add writes two.
    /// </summary>
    private Tensor Residual(Tensor x, Parameter? gamma, Tensor branch)
    {
        if (gamma is null)
            return x + drop_path.call(branch);
        if (drop_path.IsIdentity && branch.dtype == x.dtype)
            return x.addcmul(gamma, branch, 1);
        return x + drop_path.call(gamma * branch);
    }
}
