using TorchSharp;

namespace SimMim.Data;

/// <summary>
/// One pretraining batch: images (B, 3, S, S) float32, ImageNet-normalised, and masks (B, Ht, Wt) int64, 1 = masked.
/// The tensors belong to no dispose scope; whoever receives the batch disposes it.
/// </summary>
public sealed record PretrainBatch(torch.Tensor Images, torch.Tensor Masks) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
    }
}
