using SimMim.Config;

namespace SimMim.Models.Swin;

/// <summary>
/// Hyper-parameters of Swin Transformer V1 (spec §3.2), and the MODEL.SWIN config section: each key property is one
/// reference key with the reference's default, Swin-T at 224 px, window 7. <see cref="SwinFamily"/> fills in the
/// build-time values from DATA.IMG_SIZE, MODEL.NUM_CLASSES and MODEL.DROP_PATH_RATE, and checks the geometry.
/// </summary>
public sealed record SwinConfig
{
    [NotAConfigKey]
    public int ImgSize { get; init; } = 224;
    public int PatchSize { get; init; } = 4;
    public int InChans { get; init; } = 3;
    public int EmbedDim { get; init; } = 96;
    public IReadOnlyList<int> Depths { get; init; } = [2, 2, 6, 2];
    public IReadOnlyList<int> NumHeads { get; init; } = [3, 6, 12, 24];
    public int WindowSize { get; init; } = 7;
    public double MlpRatio { get; init; } = 4.0;
    public bool QkvBias { get; init; } = true;
    /// <summary>null = head_dim^-0.5.</summary>
    public double? QkScale { get; init; }
    public bool Ape { get; init; }
    public bool PatchNorm { get; init; } = true;
    [NotAConfigKey]
    public double DropPathRate { get; init; } = 0.1;
    /// <summary>0 = no classification head.</summary>
    [NotAConfigKey]
    public int NumClasses { get; init; }

    public int NumStages => Depths.Count;
    /// <summary>Channels after the last stage: EmbedDim·2^(stages−1).</summary>
    public int NumFeatures => EmbedDim << (NumStages - 1);
    /// <summary>Pixels per output cell: PatchSize·2^(stages−1).</summary>
    public int EncoderStride => PatchSize << (NumStages - 1);
    /// <summary>Token grid side of stage <paramref name="stage"/>.</summary>
    public int StageResolution(int stage) => ImgSize / PatchSize >> stage;
    public int StageDim(int stage) => EmbedDim << stage;

    public static SwinConfig Tiny { get; } = new();
    public static SwinConfig Small { get; } = new() { Depths = [2, 2, 18, 2] };
    public static SwinConfig Base { get; } = new() { EmbedDim = 128, Depths = [2, 2, 18, 2], NumHeads = [4, 8, 16, 32] };
    public static SwinConfig Large { get; } = new() { EmbedDim = 192, Depths = [2, 2, 18, 2], NumHeads = [6, 12, 24, 48] };

    /// <summary>A CPU-sized Swin for 32 px inputs: stages 16→8→4→2 with window 4 (clipped to 2 in the last stage).</summary>
    public static SwinConfig Mini { get; } = new()
    {
        ImgSize = 32,
        PatchSize = 2,
        EmbedDim = 32,
        Depths = [2, 2, 2, 2],
        NumHeads = [2, 4, 8, 16],
        WindowSize = 4,
        DropPathRate = 0.0,
    };
}
