using SimMim.Config;
using SimMim.Models;

namespace SimMim.Benchmarking;

/// <summary>
/// Analytic FLOPs of the SimMIM pretraining model from its config (2 FLOPs per multiply-add, matrix products only),
/// counted by the MODEL.TYPE family (<see cref="EncoderFamily.Flops"/>; the block formulas are there). With tokens L,
/// width C, MLP width H = C·MLP_RATIO: patch embed 2·L·C·(in·p²); decoder 2·cells·F·(stride²·3) with
/// cells = (img/stride)², F = the encoder's output width.
/// </summary>
public static class ModelFlops
{
    /// <summary>The model <see cref="ModelFactory.BuildSimMim"/> builds for MODEL.* at DATA.IMG_SIZE.</summary>
    /// <exception cref="ConfigException">Unknown MODEL.TYPE.</exception>
    public static FlopCount SimMim(ModelConfig model, int imgSize) => EncoderRegistry.Get(model.Type).Flops(model, imgSize);

    /// <summary>The 1×1 conv prediction head over the encoder's output cells.</summary>
    internal static long Decoder(long cells, long features, int stride) => 2 * cells * features * stride * stride * 3;
}
