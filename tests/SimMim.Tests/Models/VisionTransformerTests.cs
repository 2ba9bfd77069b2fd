using SimMim.Models;
using SimMim.Models.Vit;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

public class VisionTransformerTests
{
    [Theory]
    [InlineData(16, 4)]
    [InlineData(32, 8)]
    [InlineData(24, 4)]
    public void ForwardReturnsThePatchFeatureMap(int img, int patch)
    {
        using var scope = NewDisposeScope();
        var vit = new VisionTransformer(TestModels.Vit with { ImgSize = img, PatchSize = patch }, forSimMim: true);
        int g = img / patch;
        var mask = randint(0, 2, [2, g, g], dtype: ScalarType.Int64);
        var y = vit.call(randn(2, 3, img, img), mask);
        Assert.Equal(new long[] { 2, 32, g, g }, y.shape);
        Assert.Equal(new long[] { 2, 1 + g * g, 32 }, vit.ForwardTokens(randn(2, 3, img, img), null, 1).shape);
    }

    [Fact]
    public void SharedRpbStateDictMatchesSpecNamesShapesAndPyTorchOrder()
    {
        using var scope = NewDisposeScope();
        var model = new SimMimModel(new VisionTransformer(TestModels.Vit, forSimMim: true));
        var expected = new List<(string, long[])>
        {
            ("encoder.cls_token", [1, 1, 32]),
            ("encoder.mask_token", [1, 1, 32]),
            ("encoder.patch_embed.proj.weight", [32, 3, 4, 4]),
            ("encoder.patch_embed.proj.bias", [32]),
            // (2·4−1)² + 3 = 52 rows; index over 16 patches + cls.
            ("encoder.rel_pos_bias.relative_position_bias_table", [52, 2]),
            ("encoder.rel_pos_bias.relative_position_index", [17, 17]),
        };
        for (int i = 0; i < 2; i++)
        {
            var p = $"encoder.blocks.{i}.";
            expected.AddRange(new (string, long[])[]
            {
                (p + "gamma_1", [32]), (p + "gamma_2", [32]),
                (p + "norm1.weight", [32]), (p + "norm1.bias", [32]),
                (p + "attn.q_bias", [32]), (p + "attn.v_bias", [32]),
                (p + "attn.qkv.weight", [96, 32]),
                (p + "attn.proj.weight", [32, 32]), (p + "attn.proj.bias", [32]),
                (p + "norm2.weight", [32]), (p + "norm2.bias", [32]),
                (p + "mlp.fc1.weight", [128, 32]), (p + "mlp.fc1.bias", [128]),
                (p + "mlp.fc2.weight", [32, 128]), (p + "mlp.fc2.bias", [32]),
            });
        }
        expected.Add(("encoder.norm.weight", [32]));
        expected.Add(("encoder.norm.bias", [32]));
        // decoder: Conv2d(32, 16²·3... stride 4 → 4²·3 = 48, 1×1).
        expected.Add(("decoder.0.weight", [48, 32, 1, 1]));
        expected.Add(("decoder.0.bias", [48]));

        var sd = model.state_dict();
        Assert.Equal(expected.Select(e => e.Item1), sd.Keys);
        foreach (var (name, shape) in expected)
        {
            Assert.Equal(shape, sd[name].shape);
        }
        Assert.Equal(ScalarType.Int64, sd["encoder.rel_pos_bias.relative_position_index"].dtype);
        // named_parameters is the state dict without buffers, in the same order (optimizer state is indexed so).
        Assert.Equal(expected.Select(e => e.Item1).Where(n => !n.EndsWith("relative_position_index")),
            model.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void FinetuneVariantHasPerBlockRpbFcNormHeadAndNoMaskToken()
    {
        using var scope = NewDisposeScope();
        var cfg = TestModels.Vit with { UseRpb = true, UseSharedRpb = false, UseMeanPooling = true, UseApe = true, NumClasses = 5 };
        var keys = new VisionTransformer(cfg, forSimMim: false).state_dict().Keys.ToList();
        Assert.Equal(new[] { "cls_token", "pos_embed", "patch_embed.proj.weight", "patch_embed.proj.bias" }, keys.Take(4));
        Assert.DoesNotContain("mask_token", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("rel_pos_bias") || k.StartsWith("norm."));
        Assert.Equal(
            new[] { "blocks.0.attn.q_bias", "blocks.0.attn.v_bias", "blocks.0.attn.relative_position_bias_table",
                "blocks.0.attn.relative_position_index", "blocks.0.attn.qkv.weight" },
            keys.Where(k => k.StartsWith("blocks.0.attn.")).Take(5));
        Assert.Equal(new[] { "fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias" }, keys.TakeLast(4));

        var vit = new VisionTransformer(cfg, forSimMim: false);
        Assert.Equal(new long[] { 3, 32 }, vit.ForwardFeatures(randn(3, 3, 16, 16)).shape);
        Assert.Equal(new long[] { 3, 5 }, vit.ForwardHead(vit.ForwardFeatures(randn(3, 3, 16, 16))).shape);
    }

    [Fact]
    public void RelativePositionIndexHasClsRowsAndPatchOffsets()
    {
        using var scope = NewDisposeScope();
        // g = 2: R = 9 patch offsets; row 0 = 9 (cls→token), column 0 = 10 (token→cls), [0,0] = 11.
        var expected = new long[]
        {
            11, 9, 9, 9, 9,
            10, 4, 3, 1, 0,
            10, 5, 4, 2, 1,
            10, 7, 6, 4, 3,
            10, 8, 7, 5, 4,
        };
        Assert.Equal(expected, TestModels.Longs(RelativePositionBias.BuildIndex(2)));
        // ViT-B: 14×14 grid → 732 rows, cls indices 729/730/731 (spec §3.1).
        var big = RelativePositionBias.BuildIndex(14);
        Assert.Equal(732, RelativePositionBias.NumRelativeDistance(14));
        Assert.Equal(new long[] { 197, 197 }, big.shape);
        Assert.Equal(731, big[0, 0].item<long>());
        Assert.Equal(729, big[0, 5].item<long>());
        Assert.Equal(730, big[5, 0].item<long>());
        Assert.Equal((13 + 13) * 27 + 13 + 13, big[196, 1].item<long>());   // last patch vs first: dy = dx = 13
    }

    [Fact]
    public void InitFollowsTheReference()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var cfg = TestModels.Vit with { EmbedDim = 64, Depth = 3, NumHeads = 2, UseRpb = true, NumClasses = 10 };
        var pre = new VisionTransformer(cfg with { NumClasses = 0 }, forSimMim: true).state_dict();
        var fine = new VisionTransformer(cfg, forSimMim: false).state_dict();

        Assert.All(pre.Where(kv => kv.Key.Contains("gamma_")), kv => Assert.True(kv.Value.eq(0.1f).all().item<bool>()));
        Assert.All(pre.Where(kv => kv.Key.EndsWith("relative_position_bias_table")),
            kv => Assert.True(kv.Value.eq(0).all().item<bool>()));
        Assert.True(pre["blocks.0.attn.q_bias"].eq(0).all().item<bool>());
        // SimMIM ViT truncates at ±1σ (spec §2.1): nothing beyond 0.02, anywhere.
        foreach (var key in new[] { "mask_token", "cls_token", "blocks.0.attn.qkv.weight", "patch_embed.proj.weight" })
        {
            Assert.True(pre[key].abs().max().item<float>() <= 0.02f, key);
        }
        // Fine-tune ViT truncates at ±2 absolute: a 64×192 weight surely has entries beyond 1σ.
        Assert.True(fine["blocks.0.attn.qkv.weight"].abs().max().item<float>() > 0.03f);
        // proj / fc2 rescaled by 1/sqrt(2·layer_id): block 2 (layer_id 3) vs qkv of the same block.
        double Std(string k) => fine[k].std().item<float>();
        Assert.InRange(Std("blocks.2.attn.proj.weight") / Std("blocks.2.attn.qkv.weight"), 0.85 / Math.Sqrt(6), 1.15 / Math.Sqrt(6));
        Assert.InRange(Std("blocks.0.mlp.fc2.weight") / Std("blocks.0.mlp.fc1.weight"), 0.9 / Math.Sqrt(2), 1.1 / Math.Sqrt(2));
        // head ×0.001 on top of std .02.
        Assert.InRange(Std("head.weight"), 0.015e-3, 0.025e-3);
        Assert.True(fine["head.bias"].eq(0).all().item<bool>());
        Assert.True(fine["norm.weight"].eq(1).all().item<bool>());
    }

    [Fact]
    public void OutputIgnoresThePixelsOfMaskedPatches()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var vit = new VisionTransformer(TestModels.Vit, forSimMim: true);
        vit.eval();
        var image = randn(1, 3, 16, 16);
        var mask = zeros(1, 4, 4, dtype: ScalarType.Int64);
        mask[0, 1, 2] = 1;                                        // patch rows 4..7, cols 8..11
        var y = vit.call(image, mask);

        var changedMasked = image.clone();
        changedMasked[.., .., 4..8, 8..12] = randn(1, 3, 4, 4);
        Assert.True(vit.call(changedMasked, mask).eq(y).all().item<bool>());

        var changedVisible = image.clone();
        changedVisible[.., .., 0..4, 0..4] = randn(1, 3, 4, 4);
        Assert.False(vit.call(changedVisible, mask).allclose(y, 1e-6, 1e-6));
        // Without the mask the same masked-region change is seen.
        Assert.False(vit.call(changedMasked, null).allclose(vit.call(image, null), 1e-6, 1e-6));
    }
}
