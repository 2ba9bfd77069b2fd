using System.Text.RegularExpressions;
using SimMim.Benchmarking;
using SimMim.Config;
using static TorchSharp.torch;

namespace SimMim.Models.Vit;

/// <summary>MODEL.TYPE vit: SimMIM's BEiT-style <see cref="VisionTransformer"/> with its MODEL.VIT section.</summary>
public sealed partial class VitFamily : EncoderFamily
{
    private VitFamily() : base("vit")
    {
    }

    public static VitFamily Instance { get; } = new();

    /// <summary>MODEL.VIT with the build-time values: <paramref name="imgSize"/>, <paramref name="numClasses"/>
    /// (0 = no head) and MODEL.DROP_PATH_RATE.</summary>
    public static VitConfig Resolve(ModelConfig model, int imgSize, int numClasses) =>
        model.Vit with { ImgSize = imgSize, NumClasses = numClasses, DropPathRate = model.DropPathRate };

    public override IReadOnlyDictionary<string, ValueRange> Ranges { get; } = new Dictionary<string, ValueRange>
    {
        ["PATCH_SIZE"] = ValueRange.Count(1),
        // The data pipeline gives RGB images and the SimMIM head predicts 3 channels (the reference's too).
        ["IN_CHANS"] = ValueRange.Count(3, 3, "RGB"),
        ["EMBED_DIM"] = ValueRange.Count(1),
        ["DEPTH"] = ValueRange.Count(1),
        ["NUM_HEADS"] = ValueRange.Count(1),
        ["MLP_RATIO"] = ValueRange.Positive(),
        ["INIT_VALUES"] = ValueRange.AtLeast(0),
    };

    public override int PatchSize(ModelConfig model) => model.Vit.PatchSize;

    public override IReadOnlyList<string> Problems(ModelConfig model, int imgSize) => Problems(Resolve(model, imgSize, model.NumClasses));

    /// <summary>Every impossible size, naming its config key; empty when the encoder can be built.</summary>
    public IReadOnlyList<string> Problems(VitConfig c) =>
        PatchProblem(c.ImgSize, c.PatchSize) is string patch ? [patch] : Failing(
            (c.InChans > 0, $"MODEL.VIT.IN_CHANS: {c.InChans} must be positive"),
            (c.Depth > 0, $"MODEL.VIT.DEPTH: {c.Depth} must be positive"),
            (c.EmbedDim > 0, $"MODEL.VIT.EMBED_DIM: {c.EmbedDim} must be positive"),
            (c.NumHeads > 0 && c.EmbedDim % c.NumHeads == 0, $"MODEL.VIT.NUM_HEADS: {c.NumHeads} does not divide MODEL.VIT.EMBED_DIM {c.EmbedDim}"),
            (c.MlpRatio > 0 && double.IsFinite(c.MlpRatio), $"MODEL.VIT.MLP_RATIO: {c.MlpRatio} must be positive"),
            (c.DropPathRate >= 0 && c.DropPathRate < 1, $"MODEL.DROP_PATH_RATE: {c.DropPathRate} must be in [0, 1)"),
            (c.NumClasses >= 0, $"MODEL.NUM_CLASSES: {c.NumClasses} must not be negative"));

    /// <summary>Throws a <see cref="ConfigException"/> naming the key of the first impossible size.</summary>
    public void Validate(VitConfig config, bool forSimMim) => ThrowFirst(Problems(config), forSimMim, config.NumClasses);

    public override MaskedImageEncoder Build(ModelConfig model, int imgSize, bool forSimMim) =>
        new VisionTransformer(Resolve(model, imgSize, forSimMim ? 0 : model.NumClasses), forSimMim);

    public override FlopCount Flops(ModelConfig model, int imgSize) => Flops(Resolve(model, imgSize, 0));

    /// <summary>Over N = L + 1 tokens (cls): linears 2·N·C·(3C + C + 2H) and attention 2·2·N²·C per block.</summary>
    public static FlopCount Flops(VitConfig c)
    {
        long l = c.NumPatches, n = l + 1, dim = c.EmbedDim, hidden = (long)(dim * c.MlpRatio);
        long patchEmbed = 2 * l * dim * c.InChans * c.PatchSize * c.PatchSize;
        long linears = c.Depth * 2 * n * dim * (3 * dim + dim + 2 * hidden);
        long attention = c.Depth * 2 * 2 * n * n * dim;
        return new FlopCount(patchEmbed, linears, attention, 0, ModelFlops.Decoder(l, dim, c.PatchSize));
    }

    public override EncoderMemory Memory(ModelConfig model, int imgSize)
    {
        VitConfig v = Resolve(model, imgSize, model.NumClasses);
        double grid = (double)v.ImgSize / v.PatchSize, tokens = grid * grid + 1;   // + the cls token
        double dim = v.EmbedDim, hidden = dim * v.MlpRatio;
        var (weights, activations) = EncoderMemory.Block(tokens, dim, hidden, v.NumHeads, tokens);
        double patchEmbed = 3.0 * v.PatchSize * v.PatchSize * dim;
        return new EncoderMemory(patchEmbed + v.Depth * weights, v.Depth * activations, activations, tokens, dim, v.PatchSize);
    }

    public override bool Owns(MaskedImageEncoder encoder) => encoder is VisionTransformer;

    public override (int NumLayers, Func<string, int> LayerId) LayerIds(MaskedImageEncoder encoder)
    {
        int depth = ((VisionTransformer)encoder).Depth;
        return (depth, name => LayerId(name, depth));
    }

    /// <summary>
    /// BEiT's get_num_layer_for_vit: cls_token, mask_token, pos_embed, patch_embed.* → 0; blocks.i.* → i+1;
    /// rel_pos_bias.* and everything else (norm, fc_norm, head) → depth+1.
    /// </summary>
    public static int LayerId(string name, int depth)
    {
        if (name is "cls_token" or "mask_token" or "pos_embed" || name.StartsWith("patch_embed", StringComparison.Ordinal))
            return 0;
        if (name.StartsWith("blocks.", StringComparison.Ordinal))
            return int.Parse(name.Split('.')[1]) + 1;
        return depth + 1;
    }

    public override int? ProbeDepth(MaskedImageEncoder encoder) => ((VisionTransformer)encoder).Depth;

    /// <summary>The mean patch token (cls left out) after <paramref name="block"/> blocks: (B, C).</summary>
    public override Tensor ProbeFeatures(MaskedImageEncoder encoder, Tensor images, int block) =>
        ((VisionTransformer)encoder).ForwardTokens(images, null, block)[.., 1..].mean([1]);

    public override string? SharedRelPosTable => "rel_pos_bias.relative_position_bias_table";

    public override bool IsBlockRelPosTable(string key) => BlockTable().IsMatch(key);

    // The table ends with 3 rows for cls→token, token→cls and cls→cls (spec §3.1).
    public override int TableExtraTokens => 3;

    [GeneratedRegex(@"^blocks\.\d+\.attn\.relative_position_bias_table$")]
    private static partial Regex BlockTable();
}
