using static TorchSharp.torch;

namespace SimMim.Models;

/// <summary>What a SimMIM forward returns: the masked L1 loss (scalar) and the reconstruction (B, 3, H, W).</summary>
public sealed record SimMimOutput(Tensor Loss, Tensor Reconstruction);
