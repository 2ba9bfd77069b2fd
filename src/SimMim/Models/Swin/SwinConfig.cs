namespace SimMim.Models.Swin;

/// <summary>Hyper-parameters of Swin Transformer V1 (spec §3.2); defaults are Swin-T at 224 px, window 7.</summary>
public sealed record SwinConfig
{
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
    public double DropPathRate { get; init; } = 0.1;
    /// <summary>0 = no classification head.</summary>
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

    /// <summary>Throws a <see cref="ConfigException"/> naming the config key when sizes are impossible.</summary>
    public void Validate()
    {
        if (Problems() is [string first, ..])
        {
            throw new ConfigException(first);
        }
    }

    /// <summary>
    /// Every impossible size, naming its config key: what the constructors need (positive sizes, heads that divide
    /// each stage's width, a token grid that halves exactly at each patch merging, windows that tile each stage).
    /// Empty when the model can be built.
    /// </summary>
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

        Require(Depths.Count > 0 && Depths.All(d => d > 0), $"MODEL.SWIN.DEPTHS: [{string.Join(", ", Depths)}] must be non-empty and positive");
        Require(NumHeads.Count == Depths.Count,
            $"MODEL.SWIN.NUM_HEADS: {NumHeads.Count} entries, but MODEL.SWIN.DEPTHS has {Depths.Count} stages");
        Require(PatchSize > 0, $"MODEL.SWIN.PATCH_SIZE: {PatchSize} must be positive");
        Require(EmbedDim > 0, $"MODEL.SWIN.EMBED_DIM: {EmbedDim} must be positive");
        Require(InChans > 0, $"MODEL.SWIN.IN_CHANS: {InChans} must be positive");
        Require(WindowSize > 0, $"MODEL.SWIN.WINDOW_SIZE: {WindowSize} must be positive");
        Require(MlpRatio > 0 && double.IsFinite(MlpRatio), $"MODEL.SWIN.MLP_RATIO: {MlpRatio} must be positive");
        Require(DropPathRate >= 0 && DropPathRate < 1, $"MODEL.DROP_PATH_RATE: {DropPathRate} must be in [0, 1)");
        Require(NumClasses >= 0, $"MODEL.NUM_CLASSES: {NumClasses} must not be negative");
        if (problems.Count > 0)
        {
            return problems;   // the geometry below divides by these
        }

        // In long, and stopping once the stride passes the image: 2^(stages-1) overflows an int for deep lists.
        long stride = PatchSize;
        for (int i = 1; i < NumStages && stride <= ImgSize; i++)
        {
            stride *= 2;
        }
        if (ImgSize <= 0 || stride > ImgSize)
        {
            problems.Add($"DATA.IMG_SIZE: {ImgSize} is too small for MODEL.SWIN.PATCH_SIZE {PatchSize} and {NumStages} stages " +
                "(each patch merging halves the token grid)");
            return problems;
        }
        if (ImgSize % stride != 0)
        {
            problems.Add($"DATA.IMG_SIZE: {ImgSize} is not divisible by the encoder stride {stride} " +
                $"(MODEL.SWIN.PATCH_SIZE {PatchSize} · 2^{NumStages - 1})");
            return problems;
        }
        for (int i = 0; i < NumStages; i++)
        {
            long dim = (long)EmbedDim << i;
            int heads = NumHeads[i], r = StageResolution(i);
            Require(dim <= int.MaxValue, $"MODEL.SWIN.EMBED_DIM: {EmbedDim}·2^{i} channels in stage {i} is too many");
            Require(heads > 0 && dim % heads == 0, $"MODEL.SWIN.NUM_HEADS: {heads} does not divide the stage-{i} dim {dim}");
            var (ws, _) = SwinTransformerBlock.ClipWindow(r, WindowSize, WindowSize / 2);
            Require(r % ws == 0, $"MODEL.SWIN.WINDOW_SIZE: {WindowSize} does not divide the stage-{i} resolution {r}");
        }
        return problems;
    }
}
