using SimMim.Models;
using SimMim.Models.Swin;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

public class SwinTransformerTests
{
    [Theory]
    [InlineData(32, 4, 4)]    // stages 8, 4: second stage clipped to its resolution
    [InlineData(64, 4, 4)]    // stages 16, 8
    [InlineData(32, 4, 8)]    // window 8 ≥ stage 0 (8): clipped everywhere, no shift
    [InlineData(48, 4, 3)]    // stages 12, 6 with window 3
    public void ForwardReturnsTheLastStageFeatureMap(int img, int patch, int window)
    {
        using var scope = NewDisposeScope();
        var cfg = TestModels.Swin with { ImgSize = img, PatchSize = patch, WindowSize = window };
        var swin = new SwinTransformer(cfg, forSimMim: true);
        int g = img / patch;
        var y = swin.call(randn(2, 3, img, img), randint(0, 2, [2, g, g], dtype: ScalarType.Int64));
        Assert.Equal(new long[] { 2, 32, img / 8, img / 8 }, y.shape);
        Assert.Equal(8, swin.EncoderStride);
    }

    [Fact]
    public void WindowIsClippedToSmallStagesAtConstruction()
    {
        var swin = new SwinTransformer(TestModels.Swin, forSimMim: true);
        var blocks = swin.Layers.SelectMany(l => l.Blocks).Select(b => (b.Resolution, b.WindowSize, b.ShiftSize)).ToArray();
        Assert.Equal(new[] { (8, 4, 0), (8, 4, 2), (4, 4, 0), (4, 4, 0) }, blocks);
        // Swin-L @192 / w12 stage 3 (resolution 6) → window 6, no shift (spec §6.2).
        Assert.Equal((6, 0), SwinTransformerBlock.ClipWindow(6, 12, 6));
        Assert.Equal((12, 0), SwinTransformerBlock.ClipWindow(12, 12, 6));
        Assert.Equal((12, 6), SwinTransformerBlock.ClipWindow(24, 12, 6));
    }

    [Fact]
    public void StateDictMatchesSpecNamesShapesAndPyTorchOrder()
    {
        using var scope = NewDisposeScope();
        var model = new SimMimModel(new SwinTransformer(TestModels.Swin with { Ape = true }, forSimMim: true));
        var expected = new List<(string, long[])>
        {
            ("encoder.absolute_pos_embed", [1, 64, 16]),
            ("encoder.mask_token", [1, 1, 16]),
            ("encoder.patch_embed.proj.weight", [16, 3, 4, 4]),
            ("encoder.patch_embed.proj.bias", [16]),
            ("encoder.patch_embed.norm.weight", [16]),
            ("encoder.patch_embed.norm.bias", [16]),
        };
        int[] dims = [16, 32], heads = [2, 4];
        for (int i = 0; i < 2; i++)
        {
            int c = dims[i];
            for (int j = 0; j < 2; j++)
            {
                var p = $"encoder.layers.{i}.blocks.{j}.";
                if (i == 0 && j == 1)
                {
                    // PyTorch saves a module's own buffers before its children: attn_mask precedes norm1.
                    expected.Add((p + "attn_mask", [4, 16, 16]));
                }
                expected.AddRange(new (string, long[])[]
                {
                    (p + "norm1.weight", [c]), (p + "norm1.bias", [c]),
                    (p + "attn.relative_position_bias_table", [49, heads[i]]),
                    (p + "attn.relative_position_index", [16, 16]),
                    (p + "attn.qkv.weight", [3 * c, c]), (p + "attn.qkv.bias", [3 * c]),
                    (p + "attn.proj.weight", [c, c]), (p + "attn.proj.bias", [c]),
                    (p + "norm2.weight", [c]), (p + "norm2.bias", [c]),
                    (p + "mlp.fc1.weight", [4 * c, c]), (p + "mlp.fc1.bias", [4 * c]),
                    (p + "mlp.fc2.weight", [c, 4 * c]), (p + "mlp.fc2.bias", [c]),
                });
            }
            if (i == 0)
            {
                // The reference's PatchMerging registers reduction before norm.
                expected.Add(("encoder.layers.0.downsample.reduction.weight", [32, 64]));
                expected.Add(("encoder.layers.0.downsample.norm.weight", [64]));
                expected.Add(("encoder.layers.0.downsample.norm.bias", [64]));
            }
        }
        expected.Add(("encoder.norm.weight", [32]));
        expected.Add(("encoder.norm.bias", [32]));
        expected.Add(("decoder.0.weight", [8 * 8 * 3, 32, 1, 1]));
        expected.Add(("decoder.0.bias", [8 * 8 * 3]));

        var sd = model.state_dict();
        Assert.Equal(expected.Select(e => e.Item1), sd.Keys);
        foreach (var (name, shape) in expected)
        {
            Assert.Equal(shape, sd[name].shape);
        }
        Assert.Equal(expected.Select(e => e.Item1).Where(n => !n.EndsWith("relative_position_index") && !n.EndsWith("attn_mask")),
            model.named_parameters().Select(p => p.name));
        Assert.Equal(new[] { "encoder.absolute_pos_embed", "encoder.mask_token" }, model.NoWeightDecay.Order());
        Assert.Equal(new[] { "encoder.relative_position_bias_table" }, model.NoWeightDecayKeywords);
    }

    [Fact]
    public void RelativePositionIndexForWindow2IsTheHandWorkedTable()
    {
        // (dy+1)·3 + (dx+1) over tokens (0,0), (0,1), (1,0), (1,1).
        var expected = new long[] { 4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4 };
        Assert.Equal(expected, TestModels.Longs(WindowGeometry.RelativePositionIndex(2)));
    }

    [Fact]
    public void ShiftedWindowMaskMatchesHandComputation()
    {
        // H = W = 4, ws = 2, shift = 1. Region labels (rows, cols each split [0,2), [2,3), [3,4)):
        //   0 0 1 2 / 0 0 1 2 / 3 3 4 5 / 6 6 7 8 → windows [0,0,0,0], [1,2,1,2], [3,3,6,6], [4,5,7,8].
        const float m = -100f;
        var expected = new float[]
        {
            0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,  0, 0, 0, 0,
            0, m, 0, m,  m, 0, m, 0,  0, m, 0, m,  m, 0, m, 0,
            0, 0, m, m,  0, 0, m, m,  m, m, 0, 0,  m, m, 0, 0,
            0, m, m, m,  m, 0, m, m,  m, m, 0, m,  m, m, m, 0,
        };
        var mask = WindowGeometry.ShiftedWindowMask(4, 4, 2, 1);
        Assert.Equal(new long[] { 4, 4, 4 }, mask.shape);
        Assert.Equal(expected, TestModels.Values(mask));
    }

    [Fact]
    public void WindowPartitionIsRowMajor()
    {
        using var scope = NewDisposeScope();
        var x = arange(2 * 4 * 6 * 3, dtype: ScalarType.Float32).reshape(2, 4, 6, 3);
        var windows = WindowGeometry.Partition(x, 2);
        Assert.Equal(new long[] { 12, 2, 2, 3 }, windows.shape);
        // Window 1 of image 0 covers rows 0..1, columns 2..3.
        Assert.True(windows[1].eq(x[0, 0..2, 2..4]).all().item<bool>());
    }

    [Fact]
    public void PatchMergingConcatenatesNeighboursInReferenceOrder()
    {
        using var scope = NewDisposeScope();
        var merge = new PatchMerging(2, 1);
        using (no_grad())
        {
            // Identity-like reduction to read back the concatenated vector: norm disabled by scale checks below.
            merge.named_parameters().Single(p => p.name == "reduction.weight").parameter.copy_(eye(2, 4));
        }
        // Tokens of a 2×2 grid, 1 channel: values 0 (0,0), 1 (0,1), 2 (1,0), 3 (1,1).
        var x = tensor(new float[] { 0, 1, 2, 3 }).reshape(1, 4, 1);
        var y = merge.call(x);                                    // (1, 1, 2)
        // cat order x0=(0,0), x1=(1,0), x2=(0,1), x3=(1,1) → [0, 2, 1, 3], layer-normed → first two outputs.
        // Mean 1.5, population variance 1.25.
        var want = new[] { (0 - 1.5) / Math.Sqrt(1.25 + 1e-5), (2 - 1.5) / Math.Sqrt(1.25 + 1e-5) };
        var got = TestModels.Values(y.view(-1));
        Assert.Equal(want[0], got[0], 4);
        Assert.Equal(want[1], got[1], 4);
    }

    [Fact]
    public void OutputIgnoresThePixelsOfMaskedPatches()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var swin = new SwinTransformer(TestModels.Swin, forSimMim: true);
        swin.eval();
        var image = randn(1, 3, 32, 32);
        var mask = zeros(1, 8, 8, dtype: ScalarType.Int64);
        mask[0, 2..4, 2..4] = 1;                                  // pixels 8..15 × 8..15
        var y = swin.call(image, mask);
        var changed = image.clone();
        changed[.., .., 8..16, 8..16] = randn(1, 3, 8, 8);
        Assert.True(swin.call(changed, mask).eq(y).all().item<bool>());
        var visible = image.clone();
        visible[.., .., 0..4, 0..4] = randn(1, 3, 4, 4);
        Assert.False(swin.call(visible, mask).allclose(y, 1e-6, 1e-6));
    }

    [Fact]
    public void InitUsesTruncatedNormalTablesAndDefaultPatchConv()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var sd = new SwinTransformer(TestModels.Swin with { EmbedDim = 64, NumHeads = [4, 8] }, forSimMim: true).state_dict();
        var table = sd["layers.0.blocks.0.attn.relative_position_bias_table"];
        Assert.InRange(table.std().item<float>(), 0.015, 0.025);
        Assert.InRange(sd["layers.0.blocks.0.attn.qkv.weight"].std().item<float>(), 0.019, 0.021);
        Assert.True(sd["layers.0.blocks.0.attn.qkv.bias"].eq(0).all().item<bool>());
        // PyTorch's default conv init is U(±1/sqrt(fan_in)) with fan_in 48: std ≈ 0.083, far from .02.
        Assert.InRange(sd["patch_embed.proj.weight"].std().item<float>(), 0.06, 0.1);
    }
}
