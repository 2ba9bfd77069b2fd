using static TorchSharp.torch;

namespace SimMim.Finetune;

/// <summary>
/// Fine-tuning losses (spec §4.6): timm's SoftTargetCrossEntropy, mean over the batch of −Σ target·log_softmax,
/// used when mixup/cutmix makes soft targets; label-smoothing CE (timm's LabelSmoothingCrossEntropy, identical to
/// soft-target CE on smoothed one-hot targets) when mixing is off; plain CE for validation.
/// </summary>
public static class SoftTargetCrossEntropy
{
    /// <summary>logits (B, K), soft targets (B, K) → scalar.</summary>
    public static Tensor Loss(Tensor logits, Tensor targets) =>
        (-targets * nn.functional.log_softmax(logits, -1)).sum(-1).mean();

    /// <summary>logits (B, K), int64 labels (B): (1−s)·NLL + s·mean(−log_softmax) → scalar.</summary>
    public static Tensor LabelSmoothing(Tensor logits, Tensor labels, double smoothing)
    {
        var logProbs = nn.functional.log_softmax(logits, -1);                            // (B, K)
        var nll = -logProbs.gather(-1, labels.to_type(ScalarType.Int64).unsqueeze(1)).squeeze(1);   // (B)
        var smooth = -logProbs.mean([-1]);                                               // (B)
        return ((1.0 - smoothing) * nll + smoothing * smooth).mean();
    }
}
