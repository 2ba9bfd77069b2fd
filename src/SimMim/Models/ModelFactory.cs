using SimMim.Config;
using SimMim.Models.Swin;
using SimMim.Models.Vit;

namespace SimMim.Models;

/// <summary>Builds models from the yacs-shaped <see cref="ModelConfig"/> (MODEL.TYPE, MODEL.SWIN.*, MODEL.VIT.*).</summary>
public static class ModelFactory
{
    /// <summary>The SimMIM pretraining model for MODEL.TYPE swin or vit at <paramref name="imgSize"/> (DATA.IMG_SIZE).</summary>
    /// <exception cref="ConfigException">Unknown MODEL.TYPE or impossible sizes; the message names the key.</exception>
    public static SimMimModel BuildSimMim(ModelConfig model, int imgSize) => new(BuildEncoder(model, imgSize, forSimMim: true));

    /// <summary>The encoder alone; <paramref name="forSimMim"/> false builds the fine-tune variant with MODEL.NUM_CLASSES.</summary>
    public static MaskedImageEncoder BuildEncoder(ModelConfig model, int imgSize, bool forSimMim)
    {
        int numClasses = forSimMim ? 0 : model.NumClasses;
        return model.Type.ToLowerInvariant() switch
        {
            "swin" => new SwinTransformer(ToSwinConfig(model, imgSize) with { NumClasses = numClasses }, forSimMim),
            "vit" => new VisionTransformer(ToVitConfig(model, imgSize) with { NumClasses = numClasses }, forSimMim),
            _ => throw new ConfigException($"MODEL.TYPE: unknown model type '{model.Type}' (expected swin or vit)"),
        };
    }

    public static SwinConfig ToSwinConfig(ModelConfig model, int imgSize)
    {
        var s = model.Swin;
        return new SwinConfig
        {
            ImgSize = imgSize,
            PatchSize = s.PatchSize,
            InChans = s.InChans,
            EmbedDim = s.EmbedDim,
            Depths = [.. s.Depths],
            NumHeads = [.. s.NumHeads],
            WindowSize = s.WindowSize,
            MlpRatio = s.MlpRatio,
            QkvBias = s.QkvBias,
            QkScale = s.QkScale,
            Ape = s.Ape,
            PatchNorm = s.PatchNorm,
            DropPathRate = model.DropPathRate,
            NumClasses = model.NumClasses,
        };
    }

    public static VitConfig ToVitConfig(ModelConfig model, int imgSize)
    {
        var v = model.Vit;
        return new VitConfig
        {
            ImgSize = imgSize,
            PatchSize = v.PatchSize,
            InChans = v.InChans,
            EmbedDim = v.EmbedDim,
            Depth = v.Depth,
            NumHeads = v.NumHeads,
            MlpRatio = v.MlpRatio,
            QkvBias = v.QkvBias,
            InitValues = v.InitValues,
            UseApe = v.UseApe,
            UseRpb = v.UseRpb,
            UseSharedRpb = v.UseSharedRpb,
            UseMeanPooling = v.UseMeanPooling,
            DropPathRate = model.DropPathRate,
            NumClasses = model.NumClasses,
        };
    }
}
