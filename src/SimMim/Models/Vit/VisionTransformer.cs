using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models.Vit;

/// <summary>
/// BEiT-style ViT as used by SimMIM (spec §3.1). One class serves pretraining (with <c>mask_token</c>, forward
/// returns the patch feature map) and fine-tuning / probing (no mask token; <see cref="ForwardFeatures"/> and
/// <see cref="ForwardHead"/>). Own parameters are declared cls_token, pos_embed, mask_token: the order PyTorch
/// registers them in (the SimMIM subclass adds mask_token after the base constructor).
/// </summary>
public sealed class VisionTransformer : MaskedImageEncoder
{
    private readonly PatchEmbed patch_embed;
    private readonly Parameter cls_token;
    private readonly Parameter? pos_embed;
    private readonly RelativePositionBias? rel_pos_bias;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm? norm;
    private readonly LayerNorm? fc_norm;
    private readonly Linear? head;
    private readonly Parameter? mask_token;

    /// <param name="config">Hyper-parameters; validated here.</param>
    /// <param name="forSimMim">
    /// True builds the pretraining encoder: adds <c>mask_token</c> and truncates every trunc-normal init at ±1σ,
    /// because VisionTransformerForSimMIM overrides <c>_trunc_normal_</c> (spec §2.1). False truncates at ±2 absolute.
    /// </param>
    public VisionTransformer(VitConfig config, bool forSimMim) : base(nameof(VisionTransformer))
    {
        VitFamily.Instance.Validate(config, forSimMim);
        Config = config;
        ForSimMim = forSimMim;
        int dim = config.EmbedDim, g = config.GridSize;

        patch_embed = new PatchEmbed(config.ImgSize, config.PatchSize, config.InChans, dim, withNorm: false);
        cls_token = new Parameter(zeros(1, 1, dim));
        pos_embed = config.UseApe ? new Parameter(zeros(1, config.NumPatches + 1, dim)) : null;
        rel_pos_bias = config.UseSharedRpb ? new RelativePositionBias(g, config.NumHeads) : null;
        var dpr = DropPath.Rates(config.DropPathRate, config.Depth);
        blocks = new ModuleList<Block>(Enumerable.Range(0, config.Depth)
            .Select(i => new Block(dim, config.NumHeads, config.MlpRatio, config.QkvBias, dpr[i], config.InitValues,
                config.LayerNormEps, config.UseRpb ? g : null))
            .ToArray());
        // Mean pooling replaces the final norm by Identity and adds fc_norm after pooling (spec §3.1).
        norm = config.UseMeanPooling ? null : nn.LayerNorm(dim, config.LayerNormEps);
        fc_norm = config.UseMeanPooling ? nn.LayerNorm(dim, config.LayerNormEps) : null;
        head = config.NumClasses > 0 ? nn.Linear(dim, config.NumClasses) : null;
        mask_token = forSimMim ? new Parameter(zeros(1, 1, dim)) : null;
        RegisterComponents();
        InitWeights();
    }

    public VitConfig Config { get; }
    public bool ForSimMim { get; }
    public int Depth => Config.Depth;

    public override int PatchSize => Config.PatchSize;
    public override int ImgSize => Config.ImgSize;
    public override int InChans => Config.InChans;
    public override int NumFeatures => Config.EmbedDim;
    public override int EncoderStride => Config.PatchSize;
    public override bool HasMaskToken => mask_token is not null;
    // The reference decays the ViT mask_token and rel-pos tables (spec §2.4).
    public override IReadOnlySet<string> NoWeightDecay { get; } = new HashSet<string> { "pos_embed", "cls_token" };
    public override IReadOnlySet<string> NoWeightDecayKeywords { get; } = new HashSet<string>();

    private void InitWeights()
    {
        // ±1σ for the SimMIM subclass, timm's ±2 absolute otherwise.
        void Trunc(Tensor t) => TruncatedNormal.Fill(t, 0, 0.02, ForSimMim ? -0.02 : -2, ForSimMim ? 0.02 : 2);

        using var noGrad = no_grad();
        if (pos_embed is not null)
        {
            Trunc(pos_embed);
        }
        Trunc(cls_token);
        WeightInit.Apply(this, Trunc, includeConv: true);
        // fix_init_weight: residual projections scaled by 1/sqrt(2·layer_id), layer_id = i + 1.
        for (int i = 0; i < blocks.Count; i++)
        {
            double s = Math.Sqrt(2.0 * (i + 1));
            blocks[i].Attn.Proj.weight.div_(s);
            blocks[i].Mlp.Fc2.weight.div_(s);
        }
        if (head is not null)
        {
            head.weight.mul_(0.001);   // init_scale
            head.bias!.mul_(0.001);
        }
        if (mask_token is not null)
        {
            Trunc(mask_token);
        }
    }

    /// <summary>Patch embedding, mask-token blend, cls token, position embedding: (B, 1+L, C).</summary>
    public Tensor Embed(Tensor image, Tensor? mask)
    {
        var x = patch_embed.call(image);   // (B, L, C)
        if (mask is not null)
        {
            if (mask_token is null)
            {
                throw new InvalidOperationException("this ViT was built without a mask token (forSimMim: false)");
            }
            x = BlendMaskToken(x, mask, mask_token);
        }
        var b = x.shape[0];
        x = cat([cls_token.expand(b, -1, -1), x], 1);   // (B, 1+L, C); cls after masking
        return pos_embed is null ? x : x + pos_embed;
    }

    /// <summary>
    /// Tokens after the first <paramref name="numBlocks"/> blocks, before the final norm: (B, 1+L, C). The linear
    /// probe reads block 8 of ViT-B this way.
    /// </summary>
    public Tensor ForwardTokens(Tensor image, Tensor? mask, int numBlocks)
    {
        if (numBlocks < 0 || numBlocks > blocks.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(numBlocks), numBlocks, $"the model has {blocks.Count} blocks");
        }
        var x = Embed(image, mask);
        var relPosBias = rel_pos_bias?.Compute();   // (nH, N, N), computed once per forward
        for (int i = 0; i < numBlocks; i++)
        {
            x = blocks[i].call(x, relPosBias);
        }
        return x;
    }

    /// <summary>Pretraining forward: (B, C_in, H, W), mask (B, H/p, W/p) or null → (B, C, H/p, W/p).</summary>
    public override Tensor forward(Tensor image, Tensor? mask)
    {
        var x = ForwardTokens(image, mask, blocks.Count);   // (B, 1+L, C)
        if (norm is not null)
        {
            x = AutocastOps.LayerNorm(norm, x);
        }
        x = x[.., 1..];                                      // (B, L, C), cls dropped
        var (b, l, c) = (x.shape[0], x.shape[1], x.shape[2]);
        var g = Config.GridSize;
        return x.permute(0, 2, 1).reshape(b, c, g, g);      // (B, C, g, g)
    }

    /// <summary>Image-level feature (B, C): mean of patch tokens + fc_norm, or the cls token after norm.</summary>
    public override Tensor ForwardFeatures(Tensor image)
    {
        var x = ForwardTokens(image, null, blocks.Count);   // (B, 1+L, C)
        if (norm is not null)
        {
            x = AutocastOps.LayerNorm(norm, x);
        }
        return fc_norm is not null ? AutocastOps.LayerNorm(fc_norm, x[.., 1..].mean([1])) : x[.., 0];   // (B, C)
    }

    /// <summary>Classification head (identity when NumClasses = 0): (B, C) → (B, classes).</summary>
    public override Tensor ForwardHead(Tensor features) => head is null ? features : AutocastOps.Linear(head, features);
}
