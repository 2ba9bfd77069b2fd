using SimMim.Benchmarking;
using SimMim.Config;
using SimMim.Models.Swin;
using SimMim.Models.Vit;

namespace SimMim.Tests.Benchmarking;

/// <summary>The analytic FLOP count against multiply-adds counted by hand, layer by layer (2 FLOPs each).</summary>
public class ModelFlopsTests
{
    [Fact]
    public void TinyVitMatchesAHandCount()
    {
        // 8 px / patch 4 → 4 patches + cls = 5 tokens; C 8, 2 heads of 4, MLP 32; one block; decoder 8 → 4²·3 = 48.
        var config = new VitConfig { ImgSize = 8, PatchSize = 4, EmbedDim = 8, Depth = 1, NumHeads = 2, MlpRatio = 4 };
        long patchEmbed = 4 * 8 * (3 * 4 * 4);   // patches × out × in·p²
        long qkv = 5 * 8 * 24, proj = 5 * 8 * 8, fc1 = 5 * 8 * 32, fc2 = 5 * 32 * 8;
        long scores = 2 * (5 * 5 * 4), weighted = 2 * (5 * 5 * 4);   // heads × N·N·hd
        long decoder = 4 * 8 * 48;

        var flops = VitFamily.Flops(config);
        Assert.Equal(2 * patchEmbed, flops.PatchEmbed);
        Assert.Equal(2 * (qkv + proj + fc1 + fc2), flops.Linears);
        Assert.Equal(2 * (scores + weighted), flops.Attention);
        Assert.Equal(0, flops.PatchMerging);
        Assert.Equal(2 * decoder, flops.Decoder);
        Assert.Equal(14624, flops.Forward);
        Assert.Equal(3 * 14624, flops.Training);
    }

    [Fact]
    public void TinySwinMatchesAHandCount()
    {
        // 16 px / patch 2 → 8×8 tokens, C 4, window 4 (4 windows of 16); merge → 4×4 tokens, C 8, window clipped to 4
        // (one window); encoder stride 2·2 = 4 → 4×4 cells, decoder 8 → 48 channels.
        var config = new SwinConfig
        {
            ImgSize = 16,
            PatchSize = 2,
            EmbedDim = 4,
            Depths = [2, 1],
            NumHeads = [1, 2],
            WindowSize = 4,
            MlpRatio = 2,
        };
        long patchEmbed = 64 * 4 * (3 * 2 * 2);
        long stage0Linears = 2 * (64 * 4 * 12 + 64 * 4 * 4 + 64 * 4 * 8 + 64 * 8 * 4);   // 2 blocks: qkv, proj, fc1, fc2
        long stage0Attention = 2 * (4 * 16 * 16 * 4 * 2);                                 // 2 blocks × windows × n·n·C × (scores + weighted)
        long merging = 16 * 16 * 8;                                                        // merged tokens × 4C × 2C
        long stage1Linears = 16 * 8 * 24 + 16 * 8 * 8 + 16 * 8 * 16 + 16 * 16 * 8;
        long stage1Attention = 1 * 16 * 16 * 8 * 2;
        long decoder = 16 * 8 * 48;

        var flops = SwinFamily.Flops(config);
        Assert.Equal(2 * patchEmbed, flops.PatchEmbed);
        Assert.Equal(2 * (stage0Linears + stage1Linears), flops.Linears);
        Assert.Equal(2 * (stage0Attention + stage1Attention), flops.Attention);
        Assert.Equal(2 * merging, flops.PatchMerging);
        Assert.Equal(2 * decoder, flops.Decoder);
        Assert.Equal(112640, flops.Forward);
    }

    [Fact]
    public void TheConfigPathBuildsTheSameEncoderRecords()
    {
        var model = new ModelConfig
        {
            Type = "vit",
            Vit = new VitConfig { PatchSize = 4, EmbedDim = 8, Depth = 1, NumHeads = 2 },
        };
        Assert.Equal(14624, ModelFlops.SimMim(model, 8).Forward);
        Assert.Throws<ConfigException>(() => ModelFlops.SimMim(model with { Type = "resnet" }, 8));
    }
}
