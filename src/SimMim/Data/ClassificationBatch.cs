using TorchSharp;

namespace SimMim.Data;

/// <summary>
/// One labelled batch: images (B, 3, S, S) float32, ImageNet-normalised, and labels (B) int64. The tensors belong to
/// no dispose scope; whoever receives the batch disposes it.
/// </summary>
public sealed record ClassificationBatch(torch.Tensor Images, torch.Tensor Labels) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
