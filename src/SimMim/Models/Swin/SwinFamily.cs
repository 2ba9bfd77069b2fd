using SimMim.Benchmarking;
using SimMim.Config;

namespace SimMim.Models.Swin;

/// <summary>MODEL.TYPE swin: <see cref="SwinTransformer"/> (V1) with its MODEL.SWIN section.</summary>
public sealed class SwinFamily : EncoderFamily
{
    private SwinFamily() : base("swin")
    {
    }

    public static SwinFamily Instance { get; } = new();

    /// <summary>MODEL.SWIN with the build-time values: <paramref name="imgSize"/>, <paramref name="numClasses"/>
    /// (0 = no head) and MODEL.DROP_PATH_RATE.</summary>
    public static SwinConfig Resolve(ModelConfig model, int imgSize, int numClasses) =>
        model.Swin with { ImgSize = imgSize, NumClasses = numClasses, DropPathRate = model.DropPathRate };

    public override IReadOnlyDictionary<string, ValueRange> Ranges { get; } = new Dictionary<string, ValueRange>
    {
        ["PATCH_SIZE"] = ValueRange.Count(1),
        // The data pipeline gives RGB images and the SimMIM head predicts 3 channels (the reference's too).
        ["IN_CHANS"] = ValueRange.Count(3, 3, "RGB"),
        ["EMBED_DIM"] = ValueRange.Count(1),
        ["DEPTHS"] = ValueRange.Count(1),
        ["NUM_HEADS"] = ValueRange.Count(1),
        ["WINDOW_SIZE"] = ValueRange.Count(1),
        ["MLP_RATIO"] = ValueRange.Positive(),
        ["QK_SCALE"] = ValueRange.Positive("None = head_dim^-0.5"),
    };

    public override int PatchSize(ModelConfig model) => model.Swin.PatchSize;

    public override IReadOnlyList<string> KeyProblems(ModelConfig model) => KeyProblems(model.Swin);

    private static List<string> KeyProblems(SwinConfig c) => Failing(
        (c.Depths.Count == c.NumHeads.Count, $"MODEL.SWIN.DEPTHS ({c.Depths.Count} stages: [{string.Join(", ", c.Depths)}]) and "
            + $"MODEL.SWIN.NUM_HEADS ({c.NumHeads.Count}: [{string.Join(", ", c.NumHeads)}]) must have the same length"),
        (c.Depths.Count >= 1, "MODEL.SWIN.DEPTHS must list at least one stage"));

    public override IReadOnlyList<string> Problems(ModelConfig model, int imgSize) => Problems(Resolve(model, imgSize, model.NumClasses));

    /// <summary>Throws a <see cref="ConfigException"/> naming the key of the first impossible size.</summary>
    public void Validate(SwinConfig config, bool forSimMim) => ThrowFirst(Problems(config), forSimMim, config.NumClasses);

    public override MaskedImageEncoder Build(ModelConfig model, int imgSize, bool forSimMim) =>
        new SwinTransformer(Resolve(model, imgSize, forSimMim ? 0 : model.NumClasses), forSimMim);

    public override FlopCount Flops(ModelConfig model, int imgSize) => Flops(Resolve(model, imgSize, 0));

    /// <summary>
    /// Every impossible size, naming its config key: what the constructors need (positive sizes, heads that divide
    /// each stage's width, a token grid that halves exactly at each patch merging, windows that tile each stage).
    /// Empty when the encoder can be built.
    /// </summary>
    public IReadOnlyList<string> Problems(SwinConfig c)
    {
        if (PatchProblem(c.ImgSize, c.PatchSize) is string patch)
            return [patch];
        List<string> problems = [.. KeyProblems(c), .. Failing(
            (c.Depths.All(d => d > 0), $"MODEL.SWIN.DEPTHS: [{string.Join(", ", c.Depths)}] must be positive"),
            (c.EmbedDim > 0, $"MODEL.SWIN.EMBED_DIM: {c.EmbedDim} must be positive"),
            (c.InChans > 0, $"MODEL.SWIN.IN_CHANS: {c.InChans} must be positive"),
            (c.WindowSize > 0, $"MODEL.SWIN.WINDOW_SIZE: {c.WindowSize} must be positive"),
            (c.MlpRatio > 0 && double.IsFinite(c.MlpRatio), $"MODEL.SWIN.MLP_RATIO: {c.MlpRatio} must be positive"),
            (c.DropPathRate >= 0 && c.DropPathRate < 1, $"MODEL.DROP_PATH_RATE: {c.DropPathRate} must be in [0, 1)"),
            (c.NumClasses >= 0, $"MODEL.NUM_CLASSES: {c.NumClasses} must not be negative"))];
        if (problems.Count > 0)
        {
            return problems;   // the geometry below divides by these
        }

        // In long, and stopping once the stride passes the image: 2^(stages-1) overflows an int for deep lists.
        long stride = c.PatchSize;
        for (int i = 1; i < c.NumStages && stride <= c.ImgSize; i++)
        {
            stride *= 2;
        }
        if (stride > c.ImgSize)
        {
            problems.Add($"DATA.IMG_SIZE: {c.ImgSize} is too small for MODEL.SWIN.PATCH_SIZE {c.PatchSize} and {c.NumStages} stages " +
                "(each patch merging halves the token grid)");
            return problems;
        }
        if (c.ImgSize % stride != 0)
        {
            problems.Add($"DATA.IMG_SIZE: {c.ImgSize} is not divisible by the encoder stride {stride} " +
                $"(MODEL.SWIN.PATCH_SIZE {c.PatchSize} · 2^{c.NumStages - 1})");
            return problems;
        }
        for (int i = 0; i < c.NumStages; i++)
        {
            long dim = (long)c.EmbedDim << i;
            int heads = c.NumHeads[i], r = c.StageResolution(i);
            var (ws, _) = SwinTransformerBlock.ClipWindow(r, c.WindowSize, c.WindowSize / 2);
            problems.AddRange(Failing(
                (dim <= int.MaxValue, $"MODEL.SWIN.EMBED_DIM: {c.EmbedDim}·2^{i} channels in stage {i} is too many"),
                (heads > 0 && dim % heads == 0, $"MODEL.SWIN.NUM_HEADS: {heads} does not divide the stage-{i} dim {dim}"),
                (r % ws == 0, $"MODEL.SWIN.WINDOW_SIZE: {c.WindowSize} does not divide the stage-{i} resolution {r}")));
        }
        return problems;
    }

    /// <summary>
    /// Over L = r² tokens per stage in windows of n = ws² tokens: linears 2·L·C·(3C + C + 2H) and attention 2·2·L·n·C
    /// per block; patch merging after stage i: (L/4)·2·4C·2C = 4·L·C².
    /// </summary>
    public static FlopCount Flops(SwinConfig c)
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
        return new FlopCount(patchEmbed, linears, attention, merging, ModelFlops.Decoder(cells, c.NumFeatures, c.EncoderStride));
    }

    public override EncoderMemory Memory(ModelConfig model, int imgSize)
    {
        SwinConfig swin = Resolve(model, imgSize, model.NumClasses);
        double parameters = 3.0 * swin.PatchSize * swin.PatchSize * swin.EmbedDim, activations = 0, largest = 0;
        for (int i = 0; i < swin.NumStages; i++)
        {
            double side = swin.StageResolution(i), tokens = side * side;
            double dim = swin.EmbedDim * Math.Pow(2, i), hidden = dim * swin.MlpRatio;
            var (ws, _) = SwinTransformerBlock.ClipWindow(swin.StageResolution(i), swin.WindowSize, swin.WindowSize / 2);
            var (weights, kept) = EncoderMemory.Block(tokens, dim, hidden, swin.NumHeads[i], (double)ws * ws);
            parameters += swin.Depths[i] * weights + (i < swin.NumStages - 1 ? 4 * dim * 2 * dim : 0);   // + patch merging
            activations += swin.Depths[i] * kept;
            largest = Math.Max(largest, kept);
        }
        double first = swin.StageResolution(0);
        return new EncoderMemory(parameters, activations, largest, first * first, swin.EmbedDim * Math.Pow(2, swin.NumStages - 1),
            swin.PatchSize * Math.Pow(2, swin.NumStages - 1));
    }

    public override bool Owns(MaskedImageEncoder encoder) => encoder is SwinTransformer;

    public override (int NumLayers, Func<string, int> LayerId) LayerIds(MaskedImageEncoder encoder)
    {
        IReadOnlyList<int> depths = ((SwinTransformer)encoder).Config.Depths;
        return (depths.Sum(), name => LayerId(name, depths));
    }

    /// <summary>
    /// SimMIM's get_swin_layer: mask_token, patch_embed.* → 0; layers.i.blocks.j.* → Σdepths[:i] + j + 1;
    /// layers.i.downsample.* → Σdepths[:i+1] (the id of the stage's last block); everything else → Σdepths + 1.
    /// </summary>
    public static int LayerId(string name, IReadOnlyList<int> depths)
    {
        // The reference tests `name in ("mask_token")`, a substring test on a string; only mask_token itself matches.
        if (name == "mask_token" || name.StartsWith("patch_embed", StringComparison.Ordinal))
            return 0;
        if (name.StartsWith("layers.", StringComparison.Ordinal))
        {
            string[] parts = name.Split('.');
            int stage = int.Parse(parts[1]);
            int before = depths.Take(stage).Sum();
            return parts[2] == "downsample" ? before + depths[stage] : before + int.Parse(parts[3]) + 1;
        }
        return depths.Sum() + 1;
    }
}
