using SimMim.Config;
using SimMim.Models;

namespace SimMim.Benchmarking;

/// <summary>
/// Analytic FLOPs of the SimMIM pretraining model from its config (2 FLOPs per multiply-add, matrix products only),
/// counted by the MODEL.TYPE family (<see cref="EncoderFamily.Flops"/>).
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
    public static FlopCount SimMim(ModelConfig model, int imgSize) => EncoderRegistry.Get(model.Type).Flops(model, imgSize);

    /// <summary>The 1×1 conv prediction head over the encoder's output cells.</summary>
    internal static long Decoder(long cells, long features, int stride) => 2 * cells * features * stride * stride * 3;
}
