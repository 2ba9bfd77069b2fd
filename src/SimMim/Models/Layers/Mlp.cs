using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>fc1 → GELU (exact erf) → dropout → fc2 → dropout, the timm/BEiT/Swin MLP.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly GELU act;
    private readonly Linear fc2;
    private readonly Dropout drop;

    public Mlp(long inFeatures, long hiddenFeatures, double dropRate = 0.0) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(inFeatures, hiddenFeatures);
        act = nn.GELU();
        fc2 = nn.Linear(hiddenFeatures, inFeatures);
        drop = nn.Dropout(dropRate);
        RegisterComponents();
    }

    /// <summary>Second projection; the ViT rescales its weight by 1/sqrt(2·layer_id).</summary>
    internal Linear Fc2 => fc2;

    public override Tensor forward(Tensor x)
    {
        x = drop.call(act.call(AutocastOps.Linear(fc1, x)));   // (..., hidden)
        return drop.call(AutocastOps.Linear(fc2, x));          // (..., in)
    }
}
