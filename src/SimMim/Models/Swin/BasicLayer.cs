using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Swin;

/// <summary>One Swin stage: blocks alternating regular / shifted windows, then optional patch merging.</summary>
public sealed class BasicLayer : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<SwinTransformerBlock> blocks;
    private readonly PatchMerging? downsample;

    public BasicLayer(int dim, int resolution, int depth, int numHeads, int windowSize, double mlpRatio, bool qkvBias,
        double? qkScale, IReadOnlyList<double> dropPath, bool downsample) : base(nameof(BasicLayer))
    {
        blocks = new ModuleList<SwinTransformerBlock>(Enumerable.Range(0, depth)
            .Select(j => new SwinTransformerBlock(dim, resolution, numHeads, windowSize, j % 2 == 0 ? 0 : windowSize / 2,
                mlpRatio, qkvBias, qkScale, dropPath[j]))
            .ToArray());
        this.downsample = downsample ? new PatchMerging(resolution, dim) : null;
        RegisterComponents();
    }

    public IEnumerable<SwinTransformerBlock> Blocks => blocks;

    public override Tensor forward(Tensor x)
    {
        foreach (var block in blocks)
        {
            x = block.call(x);
        }
        return downsample is null ? x : downsample.call(x);
    }
}
