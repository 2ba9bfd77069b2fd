using SimMim.Config;

namespace SimMim.Models.Vit;

/// <summary>
/// Hyper-parameters of the BEiT-style ViT used by SimMIM (spec §3.1), and the MODEL.VIT config section: each key
/// property is one reference key (PATCH_SIZE …) with the reference's default, the ViT-B/16 pretraining setup (shared
/// relative position bias, no absolute position embedding, layer scale 0.1). <see cref="VitFamily"/> fills in the
/// build-time values from DATA.IMG_SIZE, MODEL.NUM_CLASSES and MODEL.DROP_PATH_RATE, and checks the sizes.
/// </summary>
public sealed record VitConfig
{
    [NotAConfigKey]
    public int ImgSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public int InChans { get; init; } = 3;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public double MlpRatio { get; init; } = 4.0;
    public bool QkvBias { get; init; } = true;
    /// <summary>Layer-scale γ initial value; null (None) = no layer scale (no gamma_1/gamma_2 keys).</summary>
    public double? InitValues { get; init; } = 0.1;
    public bool UseApe { get; init; }
    /// <summary>Per-block relative position bias tables (the fine-tune setting).</summary>
    public bool UseRpb { get; init; }
    /// <summary>One relative position bias shared by all blocks (the pretraining setting).</summary>
    public bool UseSharedRpb { get; init; } = true;
    public bool UseMeanPooling { get; init; }
    [NotAConfigKey]
    public double DropPathRate { get; init; } = 0.1;
    [NotAConfigKey]
    public double LayerNormEps { get; init; } = 1e-6;
    /// <summary>0 = no classification head.</summary>
    [NotAConfigKey]
    public int NumClasses { get; init; }

    /// <summary>Patches per side.</summary>
    public int GridSize => ImgSize / PatchSize;
    public int NumPatches => GridSize * GridSize;

    /// <summary>ViT-B/16 as pretrained by SimMIM (simmim_pretrain__vit_base__img224__800ep).</summary>
    public static VitConfig Base { get; } = new();

    /// <summary>A CPU-sized ViT for 32 px inputs (e.g. Fashion-MNIST upscaled): 8×8 patches of 4 px, dim 64.</summary>
    public static VitConfig Tiny { get; } = new()
    {
        ImgSize = 32,
        PatchSize = 4,
        InChans = 3,
        EmbedDim = 64,
        Depth = 4,
        NumHeads = 4,
        DropPathRate = 0.0,
    };
}
