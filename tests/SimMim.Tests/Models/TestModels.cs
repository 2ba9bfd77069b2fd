using SimMim.Models.Swin;
using SimMim.Models.Vit;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

/// <summary>Tiny configurations shared by the model tests.</summary>
internal static class TestModels
{
    /// <summary>16 px, patch 4 → 4×4 grid, dim 32, 2 blocks, shared rel-pos bias.</summary>
    public static VitConfig Vit { get; } = new()
    {
        ImgSize = 16,
        PatchSize = 4,
        EmbedDim = 32,
        Depth = 2,
        NumHeads = 2,
        DropPathRate = 0.0,
    };

    /// <summary>32 px, patch 4 → stages 8 (ws 4, shifted) and 4 (window clipped to 4, no shift), dims 16 → 32.</summary>
    public static SwinConfig Swin { get; } = new()
    {
        ImgSize = 32,
        PatchSize = 4,
        EmbedDim = 16,
        Depths = [2, 2],
        NumHeads = [2, 4],
        WindowSize = 4,
        DropPathRate = 0.0,
    };

    public static float[] Values(Tensor t) => t.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();

    public static long[] Longs(Tensor t) => t.contiguous().data<long>().ToArray();
}
