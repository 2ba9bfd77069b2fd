namespace SimMim.Models.Vit;

/// <summary>
/// Hyper-parameters of the BEiT-style ViT used by SimMIM (spec §3.1). Defaults are the reference's ViT-B/16
/// pretraining setup: shared relative position bias, no absolute position embedding, layer scale 0.1.
/// </summary>
public sealed record VitConfig
{
    public int ImgSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public int InChans { get; init; } = 3;
    public int EmbedDim { get; init; } = 768;
    public int Depth { get; init; } = 12;
    public int NumHeads { get; init; } = 12;
    public double MlpRatio { get; init; } = 4.0;
    public bool QkvBias { get; init; } = true;
    /// <summary>Layer-scale γ initial value; null = no layer scale (no gamma_1/gamma_2 keys).</summary>
    public double? InitValues { get; init; } = 0.1;
    public bool UseApe { get; init; }
    /// <summary>Per-block relative position bias tables (the fine-tune setting).</summary>
    public bool UseRpb { get; init; }
    /// <summary>One relative position bias shared by all blocks (the pretraining setting).</summary>
    public bool UseSharedRpb { get; init; } = true;
    public bool UseMeanPooling { get; init; }
    public double DropPathRate { get; init; } = 0.1;
    public double LayerNormEps { get; init; } = 1e-6;
    /// <summary>0 = no classification head.</summary>
    public int NumClasses { get; init; }

    /// <summary>Patches per side.</summary>
    public int GridSize => ImgSize / PatchSize;
    public int NumPatches => GridSize * GridSize;

    /// <summary>ViT-B/16 as pretrained by SimMIM (simmim_pretrain__vit_base__img224__800ep).</summary>
    public static VitConfig Base { get; } = new();

    /// <summary>ViT-B/16 as fine-tuned by SimMIM: per-block rel-pos tables and mean pooling.</summary>
    public static VitConfig BaseFinetune { get; } = new() { UseRpb = true, UseSharedRpb = false, UseMeanPooling = true, NumClasses = 1000 };

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

    /// <summary>Throws a <see cref="ConfigException"/> naming the config key when sizes are impossible.</summary>
    public void Validate()
    {
        if (Problems() is [string first, ..])
        {
            throw new ConfigException(first);
        }
    }

    /// <summary>Every impossible size, naming its config key; empty when the model can be built.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
            {
                problems.Add(message);
            }
        }

        Require(PatchSize > 0, $"MODEL.VIT.PATCH_SIZE: {PatchSize} must be positive");
        if (PatchSize > 0)
        {
            Require(ImgSize > 0 && ImgSize % PatchSize == 0,
                $"DATA.IMG_SIZE: {ImgSize} is not divisible by MODEL.VIT.PATCH_SIZE {PatchSize}");
        }
        Require(InChans > 0, $"MODEL.VIT.IN_CHANS: {InChans} must be positive");
        Require(Depth > 0, $"MODEL.VIT.DEPTH: {Depth} must be positive");
        Require(EmbedDim > 0, $"MODEL.VIT.EMBED_DIM: {EmbedDim} must be positive");
        Require(NumHeads > 0 && EmbedDim % NumHeads == 0,
            $"MODEL.VIT.NUM_HEADS: {NumHeads} does not divide MODEL.VIT.EMBED_DIM {EmbedDim}");
        Require(MlpRatio > 0 && double.IsFinite(MlpRatio), $"MODEL.VIT.MLP_RATIO: {MlpRatio} must be positive");
        Require(DropPathRate >= 0 && DropPathRate < 1, $"MODEL.DROP_PATH_RATE: {DropPathRate} must be in [0, 1)");
        Require(NumClasses >= 0, $"MODEL.NUM_CLASSES: {NumClasses} must not be negative");
        return problems;
    }
}
