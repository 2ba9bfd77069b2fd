using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Models;

/// <summary>
/// SimMIM (spec §2): encoder on the masked image, a one-layer prediction head (1×1 conv to stride²·3 channels +
/// PixelShuffle, key <c>decoder</c>) and the L1 loss over masked pixels only. Unlike the reference, forward also
/// returns the reconstruction, which visualisation needs.
/// </summary>
public sealed class SimMimModel : nn.Module<Tensor, Tensor, SimMimOutput>
{
    private readonly MaskedImageEncoder encoder;
    private readonly Sequential decoder;

    public SimMimModel(MaskedImageEncoder encoder) : base(nameof(SimMimModel))
    {
        if (!encoder.HasMaskToken)
        {
            throw new ArgumentException("the encoder was built without a mask token", nameof(encoder));
        }
        this.encoder = encoder;
        // Out channels are stride²·3 in the reference whatever in_chans is; the conv keeps PyTorch's default init.
        decoder = nn.Sequential(
            nn.Conv2d(encoder.NumFeatures, (long)encoder.EncoderStride * encoder.EncoderStride * 3, 1),
            nn.PixelShuffle(encoder.EncoderStride));
        RegisterComponents();
    }

    public MaskedImageEncoder Encoder => encoder;
    /// <summary>Model patch size: the mask has one entry per model patch.</summary>
    public int ModelPatchSize => encoder.PatchSize;
    public int EncoderStride => encoder.EncoderStride;
    public int InChans => encoder.InChans;
    public int ImgSize => encoder.ImgSize;

    /// <summary>Full parameter names excluded from weight decay (spec §2.4).</summary>
    public IReadOnlySet<string> NoWeightDecay => encoder.NoWeightDecay.Select(n => "encoder." + n).ToHashSet();
    /// <summary>Name fragments excluded from weight decay (spec §2.4), prefixed as the reference does.</summary>
    public IReadOnlySet<string> NoWeightDecayKeywords => encoder.NoWeightDecayKeywords.Select(n => "encoder." + n).ToHashSet();

    /// <summary>State dict in PyTorch's key order.</summary>
    public override Dictionary<string, Tensor> state_dict(Dictionary<string, Tensor>? destination = null, string? prefix = null)
        => PyTorchStateDict.Collect(this, destination, prefix);

    /// <param name="image">(B, C, H, W), the normalised image; also the reconstruction target.</param>
    /// <param name="mask">(B, H/p, W/p) int64, 1 = masked, p = <see cref="ModelPatchSize"/>.</param>
    public override SimMimOutput forward(Tensor image, Tensor mask)
    {
        var z = encoder.call(image, mask);                                        // (B, F, H/s, W/s)
        var conv = (Conv2d)decoder[0];
        // Under autocast the 1×1 conv runs in bf16; the reconstruction and the loss are fp32.
        var reconstruction = AutocastOps.ToFloat32(decoder[1].call(AutocastOps.Conv2d(conv, z)));   // (B, 3, H, W)
        var loss = MaskedL1(image, reconstruction, mask, ModelPatchSize, InChans);
        return new SimMimOutput(loss, reconstruction);
    }

    /// <summary>
    /// Spec §2.3 as coded: the patch mask is upsampled to pixels (B, 1, H, W); the loss is
    /// Σ|x − x̂|·mask / (Σmask + 1e-5) / in_chans, i.e. a mean over masked pixel-channels of the whole batch.
    /// </summary>
    public static Tensor MaskedL1(Tensor image, Tensor reconstruction, Tensor mask, int patchSize, int inChans)
    {
        var pixelMask = mask.repeat_interleave(patchSize, 1).repeat_interleave(patchSize, 2)
            .unsqueeze(1).contiguous().to_type(image.dtype);                                              // (B, 1, H, W)
        var l1 = nn.functional.l1_loss(image, reconstruction, nn.Reduction.None);                            // (B, 3, H, W)
        return (l1 * pixelMask).sum() / (pixelMask.sum() + 1e-5) / inChans;                              // ()
    }
}
