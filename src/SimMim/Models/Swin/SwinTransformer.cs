using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Swin;

/// <summary>
/// Swin Transformer V1 (spec §3.2). With <c>mask_token</c> (pretraining) forward returns the last-stage feature
/// map (B, NumFeatures, H/32, W/32); without it, <see cref="ForwardFeatures"/> + <see cref="ForwardHead"/>
/// classify. Own parameters are declared absolute_pos_embed, mask_token: PyTorch's registration order.
/// </summary>
public sealed class SwinTransformer : MaskedImageEncoder
{
    private readonly PatchEmbed patch_embed;
    private readonly Parameter? absolute_pos_embed;
    private readonly ModuleList<BasicLayer> layers;
    private readonly LayerNorm norm;
    private readonly Linear? head;
    private readonly Parameter? mask_token;

    /// <param name="config">Hyper-parameters; validated here.</param>
    /// <param name="forSimMim">True adds the mask token (pretraining; requires NumClasses = 0).</param>
    public SwinTransformer(SwinConfig config, bool forSimMim) : base(nameof(SwinTransformer))
    {
        SwinFamily.Instance.Validate(config, forSimMim);
        Config = config;
        patch_embed = new PatchEmbed(config.ImgSize, config.PatchSize, config.InChans, config.EmbedDim, config.PatchNorm);
        absolute_pos_embed = config.Ape ? new Parameter(zeros(1, patch_embed.NumPatches, config.EmbedDim)) : null;

        // Stochastic depth: linspace(0, rate, Σdepths), sliced per stage.
        var dpr = DropPath.Rates(config.DropPathRate, config.Depths.Sum());
        var stages = new BasicLayer[config.NumStages];
        for (int i = 0, offset = 0; i < config.NumStages; offset += config.Depths[i], i++)
        {
            stages[i] = new BasicLayer(config.StageDim(i), config.StageResolution(i), config.Depths[i], config.NumHeads[i],
                config.WindowSize, config.MlpRatio, config.QkvBias, config.QkScale,
                dpr[offset..(offset + config.Depths[i])], downsample: i < config.NumStages - 1);
        }
        layers = new ModuleList<BasicLayer>(stages);
        norm = nn.LayerNorm(config.NumFeatures);
        head = config.NumClasses > 0 ? nn.Linear(config.NumFeatures, config.NumClasses) : null;
        mask_token = forSimMim ? new Parameter(zeros(1, 1, config.EmbedDim)) : null;
        RegisterComponents();
        InitWeights();
    }

    public SwinConfig Config { get; }
    public IEnumerable<BasicLayer> Layers => layers;

    public override int PatchSize => Config.PatchSize;
    public override int ImgSize => Config.ImgSize;
    public override int InChans => Config.InChans;
    public override int NumFeatures => Config.NumFeatures;
    public override int EncoderStride => Config.EncoderStride;
    public override bool HasMaskToken => mask_token is not null;
    public override IReadOnlySet<string> NoWeightDecay { get; } = new HashSet<string> { "absolute_pos_embed", "mask_token" };
    public override IReadOnlySet<string> NoWeightDecayKeywords { get; } = new HashSet<string> { "relative_position_bias_table" };

    private void InitWeights()
    {
        // timm's trunc_normal_(std=.02) bounds are ±2 absolute. The patch conv keeps PyTorch's default init.
        using var noGrad = no_grad();
        if (absolute_pos_embed is not null)
        {
            TruncatedNormal.FillTimmDefault(absolute_pos_embed);
        }
        WeightInit.Apply(this, t => TruncatedNormal.FillTimmDefault(t), includeConv: false);
        if (mask_token is not null)
        {
            TruncatedNormal.FillTimmDefault(mask_token);
        }
    }

    /// <summary>Patch embedding (+ mask-token blend, + absolute position embedding) and all stages, then norm: (B, L_last, C_last).</summary>
    public Tensor ForwardTokens(Tensor image, Tensor? mask)
    {
        var x = patch_embed.call(image);   // (B, L, C)
        if (mask is not null)
        {
            if (mask_token is null)
            {
                throw new InvalidOperationException("this Swin was built without a mask token (forSimMim: false)");
            }
            x = BlendMaskToken(x, mask, mask_token);
        }
        if (absolute_pos_embed is not null)
        {
            x = x + absolute_pos_embed;
        }
        foreach (var layer in layers)
        {
            x = layer.call(x);
        }
        return AutocastOps.LayerNorm(norm, x);   // (B, L_last, C_last)
    }

    /// <summary>Pretraining forward: (B, C_in, H, W), mask (B, H/p, W/p) or null → (B, NumFeatures, H/32, W/32).</summary>
    public override Tensor forward(Tensor image, Tensor? mask)
    {
        var x = ForwardTokens(image, mask);
        var (b, l, c) = (x.shape[0], x.shape[1], x.shape[2]);
        var r = Config.StageResolution(Config.NumStages - 1);
        return x.transpose(1, 2).reshape(b, c, r, r);   // (B, C, H/32, W/32)
    }

    /// <summary>Average of the final tokens: (B, NumFeatures).</summary>
    public override Tensor ForwardFeatures(Tensor image) => ForwardTokens(image, null).mean([1]);

    /// <summary>Classification head (identity when NumClasses = 0).</summary>
    public override Tensor ForwardHead(Tensor features) => head is null ? features : AutocastOps.Linear(head, features);
}
