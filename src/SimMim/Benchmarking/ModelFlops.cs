using SimMim.Config;
using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Models.Vit;

namespace SimMim.Benchmarking;

/// <summary>
/// Analytic FLOPs of the SimMIM pretraining model from its config (2 FLOPs per multiply-add, matrix products only).
/// With tokens L, width C, MLP width H = C·MLP_RATIO:
/// <list type="bullet">
/// <item>patch embed: 2·L·C·(in·p²); decoder: 2·cells·F·(stride²·3) with cells = (img/stride)², F = the encoder's output width;</item>
/// <item>ViT block over N = L + 1 tokens (cls): linears 2·N·C·(3C + C + 2H), attention 2·2·N²·C;</item>
/// <item>Swin block over L = r² tokens in windows of n = ws² tokens: linears 2·L·C·(3C + C + 2H), attention 2·2·L·n·C;</item>
/// <item>Swin patch merging after stage i: (L/4)·2·4C·2C = 4·L·C².</item>
/// </list>
/// </summary>
public static class ModelFlops
{
    /// <summary>The model <see cref="ModelFactory.BuildSimMim"/> builds for MODEL.* at DATA.IMG_SIZE.</summary>
    /// <exception cref="ConfigException">Unknown MODEL.TYPE.</exception>
    public static FlopCount SimMim(ModelConfig model, int imgSize) => model.Type.ToLowerInvariant() switch
    {
        "vit" => Vit(ModelFactory.ToVitConfig(model, imgSize)),
        "swin" => Swin(ModelFactory.ToSwinConfig(model, imgSize)),
        _ => throw new ConfigException($"MODEL.TYPE: unknown model type '{model.Type}' (expected swin or vit)"),
    };

    public static FlopCount Vit(VitConfig c)
    {
        long l = c.NumPatches, n = l + 1, dim = c.EmbedDim, hidden = (long)(dim * c.MlpRatio);
        long patchEmbed = 2 * l * dim * c.InChans * c.PatchSize * c.PatchSize;
        long linears = c.Depth * 2 * n * dim * (3 * dim + dim + 2 * hidden);
        long attention = c.Depth * 2 * 2 * n * n * dim;
        long decoder = Decoder(l, dim, c.PatchSize);
        return new FlopCount(patchEmbed, linears, attention, 0, decoder);
    }

    public static FlopCount Swin(SwinConfig c)
    {
        long l0 = (long)c.StageResolution(0) * c.StageResolution(0);
        long patchEmbed = 2 * l0 * c.EmbedDim * c.InChans * c.PatchSize * c.PatchSize;
        long linears = 0, attention = 0, merging = 0;
        for (int i = 0; i < c.NumStages; i++)
        {
            int r = c.StageResolution(i);
            long l = (long)r * r, dim = c.StageDim(i), hidden = (long)(dim * c.MlpRatio);
            var (ws, _) = SwinTransformerBlock.ClipWindow(r, c.WindowSize, c.WindowSize / 2);
            long window = (long)ws * ws;
            linears += c.Depths[i] * 2 * l * dim * (3 * dim + dim + 2 * hidden);
            attention += c.Depths[i] * 2 * 2 * l * window * dim;
            if (i < c.NumStages - 1)
            {
                merging += 4 * l * dim * dim;
            }
        }
        long cells = (long)(c.ImgSize / c.EncoderStride) * (c.ImgSize / c.EncoderStride);
        return new FlopCount(patchEmbed, linears, attention, merging, Decoder(cells, c.NumFeatures, c.EncoderStride));
    }

    private static long Decoder(long cells, long features, int stride) => 2 * cells * features * stride * stride * 3;
}
