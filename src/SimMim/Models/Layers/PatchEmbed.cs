using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>Non-overlapping patch projection: Conv2d(k = s = patch) → (B, L, C), optional LayerNorm (Swin's patch_norm).</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;
    private readonly LayerNorm? norm;

    public PatchEmbed(int imgSize, int patchSize, int inChans, int embedDim, bool withNorm) : base(nameof(PatchEmbed))
    {
        if (imgSize % patchSize != 0)
        {
            throw new ArgumentException($"image size {imgSize} is not divisible by patch size {patchSize}");
        }
        ImgSize = imgSize;
        PatchSize = patchSize;
        GridSize = imgSize / patchSize;
        proj = nn.Conv2d(inChans, embedDim, patchSize, stride: patchSize);
        norm = withNorm ? nn.LayerNorm(embedDim) : null;
        RegisterComponents();
    }

    public int ImgSize { get; }
    public int PatchSize { get; }
    /// <summary>Patches per side (the reference's patch_shape / patches_resolution).</summary>
    public int GridSize { get; }
    public int NumPatches => GridSize * GridSize;

    public override Tensor forward(Tensor x)
    {
        if (x.shape[2] != ImgSize || x.shape[3] != ImgSize)
        {
            // The reference asserts the exact input size: position tables and masks are built for it.
            throw new ArgumentException($"input is {x.shape[2]}×{x.shape[3]}, the model was built for {ImgSize}×{ImgSize}");
        }
        // fp32 under autocast too, like the attention core: with both in bf16 the small ViT's loss stayed on an early
        // plateau that fp32 leaves (docs/PERFORMANCE.md); the patch projection is ~3 % of a ViT's FLOPs.
        x = proj.call(AutocastOps.ToFloat32(x));   // (B, C, H/p, W/p)
        x = x.flatten(2).transpose(1, 2);      // (B, L, C)
        return norm is null ? x : AutocastOps.LayerNorm(norm, x);
    }
}
