using SimMim.Models.Swin;
using SimMim.Models.Vit;
using SimMim.Tests.Models;
using SimMim.Training;
using static TorchSharp.torch;

namespace SimMim.Tests.Finetune;

public class LayerDecayTests
{
    [Fact]
    public void ScalesForVitBaseMatchTheSpec()
    {
        var scales = LayerDecay.Scales(0.65, 12);
        Assert.Equal(14, scales.Count);
        Assert.Equal(0.003697, scales[0], 6);   // patch_embed ×0.65¹³ = 0.0036972 (spec §4.5: ≈ 0.00369)
        Assert.Equal(1.0, scales[13]);
        Assert.Equal(0.0718, LayerDecay.Scales(0.9, 24)[0], 4);   // Swin-B patch_embed ×0.9²⁵
    }

    [Theory]
    [InlineData("cls_token", 0)]
    [InlineData("pos_embed", 0)]
    [InlineData("mask_token", 0)]
    [InlineData("patch_embed.proj.weight", 0)]
    [InlineData("blocks.0.attn.qkv.weight", 1)]
    [InlineData("blocks.11.gamma_2", 12)]
    [InlineData("rel_pos_bias.relative_position_bias_table", 13)]
    [InlineData("fc_norm.weight", 13)]
    [InlineData("head.bias", 13)]
    public void VitLayerIds(string name, int id) => Assert.Equal(id, VitFamily.LayerId(name, 12));

    [Theory]
    [InlineData("mask_token", 0)]
    [InlineData("patch_embed.norm.bias", 0)]
    [InlineData("layers.0.blocks.0.norm1.weight", 1)]
    [InlineData("layers.0.blocks.1.attn.qkv.weight", 2)]
    [InlineData("layers.0.downsample.reduction.weight", 2)]
    [InlineData("layers.1.blocks.0.mlp.fc1.bias", 3)]
    [InlineData("layers.2.blocks.17.attn.relative_position_bias_table", 22)]
    [InlineData("layers.2.downsample.norm.weight", 22)]
    [InlineData("layers.3.blocks.1.norm2.bias", 24)]
    [InlineData("norm.weight", 25)]
    [InlineData("head.weight", 25)]
    public void SwinBaseLayerIds(string name, int id) => Assert.Equal(id, SwinFamily.LayerId(name, [2, 2, 18, 2]));

    [Fact]
    public void TinyVitGroupsCarryTheScaledLrOnce()
    {
        using var vit = new VisionTransformer(TestModels.Vit with { UseRpb = true, UseSharedRpb = false, UseMeanPooling = true, NumClasses = 4 }, forSimMim: false);
        var (numLayers, layerId) = LayerDecay.For(vit);
        var groups = LayerDecay.ForFinetuning(vit.named_parameters().Select(p => (p.name, p.parameter)), vit.NoWeightDecay,
            vit.NoWeightDecayKeywords, baseLr: 1e-3, weightDecay: 0.05, layerDecay: 0.5, numLayers, layerId);

        Assert.Equal(2, numLayers);
        Assert.Equal(["layer_0_no_decay", "layer_0_decay", "layer_1_no_decay", "layer_1_decay", "layer_2_no_decay",
            "layer_2_decay", "layer_3_no_decay", "layer_3_decay"], groups.Select(g => g.Name));
        var byName = groups.ToDictionary(g => g.Name);
        Assert.Equal(["cls_token", "patch_embed.proj.bias"], byName["layer_0_no_decay"].ParameterNames);
        Assert.Equal(["patch_embed.proj.weight"], byName["layer_0_decay"].ParameterNames);
        Assert.Equal(1e-3 * 0.125, byName["layer_0_decay"].BaseLr, 15);   // 0.5^(2+1)
        Assert.Equal(1e-3 * 0.25, byName["layer_1_decay"].BaseLr, 15);
        Assert.Equal(1e-3, byName["layer_3_decay"].BaseLr, 15);
        Assert.Equal(["head.weight"], byName["layer_3_decay"].ParameterNames);
        Assert.Equal(0.05, byName["layer_1_decay"].WeightDecay);
        Assert.Equal(0.0, byName["layer_1_no_decay"].WeightDecay);
        // The ViT rel-pos tables are 2-D and not skipped: decayed, in their block's group (spec §2.4).
        Assert.Contains("blocks.1.attn.relative_position_bias_table", byName["layer_2_decay"].ParameterNames);
        Assert.Equal(vit.parameters().Count(), groups.Sum(g => g.Parameters.Count));
    }

    [Fact]
    public void TinySwinPutsDownsampleWithTheLastBlockOfItsStage()
    {
        using var swin = new SwinTransformer(TestModels.Swin with { NumClasses = 4 }, forSimMim: false);   // depths [2, 2]
        var (numLayers, layerId) = LayerDecay.For(swin);
        var groups = LayerDecay.ForFinetuning(swin.named_parameters().Select(p => (p.name, p.parameter)), swin.NoWeightDecay,
            swin.NoWeightDecayKeywords, baseLr: 1.0, weightDecay: 0.05, layerDecay: 0.9, numLayers, layerId);

        var byName = groups.ToDictionary(g => g.Name);
        Assert.Equal(4, numLayers);
        Assert.Contains("layers.0.downsample.reduction.weight", byName["layer_2_decay"].ParameterNames);
        Assert.Contains("layers.0.blocks.1.attn.qkv.weight", byName["layer_2_decay"].ParameterNames);
        Assert.Contains("layers.0.blocks.0.attn.relative_position_bias_table", byName["layer_1_no_decay"].ParameterNames);
        Assert.Equal(Math.Pow(0.9, 5), byName["layer_0_decay"].BaseLr, 12);
        Assert.Equal(["head.weight"], byName["layer_5_decay"].ParameterNames);
        Assert.Equal(1.0, byName["layer_5_decay"].BaseLr);
    }
}
