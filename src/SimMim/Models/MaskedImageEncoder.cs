using SimMim.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Models;

/// <summary>
/// A backbone usable by <see cref="SimMimModel"/>: forward(image (B,C,H,W), mask (B,H/p,W/p) int64 or null)
/// returns the feature map (B, NumFeatures, H/EncoderStride, W/EncoderStride). Masked patch embeddings are
/// replaced by the learnt mask token (spec §2.1).
/// </summary>
public abstract class MaskedImageEncoder : nn.Module<Tensor, Tensor?, Tensor>
{
    protected MaskedImageEncoder(string name) : base(name)
    {
    }

    /// <summary>The model patch size (Swin 4, ViT 16): the mask is given per model patch.</summary>
    public abstract int PatchSize { get; }
    /// <summary>Input size in pixels (square).</summary>
    public abstract int ImgSize { get; }
    public abstract int InChans { get; }
    /// <summary>Channels of the returned feature map.</summary>
    public abstract int NumFeatures { get; }
    /// <summary>Pixels per feature-map cell: ViT = patch, Swin = patch·2^(stages−1).</summary>
    public abstract int EncoderStride { get; }
    /// <summary>Parameter names (relative to the encoder) excluded from weight decay (reference no_weight_decay).</summary>
    public abstract IReadOnlySet<string> NoWeightDecay { get; }
    /// <summary>Name fragments excluded from weight decay (reference no_weight_decay_keywords).</summary>
    public abstract IReadOnlySet<string> NoWeightDecayKeywords { get; }

    /// <summary>True when the encoder owns a mask token (built for pretraining).</summary>
    public abstract bool HasMaskToken { get; }

    /// <summary>Image-level feature of the fine-tune model: (B, C_in, H, W) → (B, NumFeatures).</summary>
    public abstract Tensor ForwardFeatures(Tensor image);

    /// <summary>Classification head (identity without classes): (B, NumFeatures) → (B, classes).</summary>
    public abstract Tensor ForwardHead(Tensor features);

    /// <summary>Logits of the fine-tune model: ForwardHead(ForwardFeatures(image)), in fp32 even under autocast (the loss is fp32).</summary>
    public Tensor Classify(Tensor image) => AutocastOps.ToFloat32(ForwardHead(ForwardFeatures(image)));

    /// <summary>State dict in PyTorch's order (see <see cref="PyTorchStateDict"/>).</summary>
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
        => PyTorchStateDict.Collect(this, destination, prefix);

    /// <summary>Blends the mask token into masked patch embeddings: x·(1−w) + mask_token·w.</summary>
    protected static Tensor BlendMaskToken(Tensor x, Tensor mask, Tensor maskToken)
    {
        var (b, l) = (x.shape[0], x.shape[1]);
        if (mask.shape[0] != b || mask.shape[1] * mask.shape[2] != l)
        {
            throw new ArgumentException(
                $"mask shape [{string.Join(",", mask.shape)}] does not match {l} patches for batch {b}");
        }
        var w = mask.flatten(1).unsqueeze(-1).to_type(maskToken.dtype);   // (B, L, 1), 1 = masked
        return x * (1 - w) + maskToken.expand(b, l, -1) * w;              // (B, L, C)
    }
}
