using SimMim.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

public class LayersTests
{
    [Theory]
    // std of N(0,1) truncated at ±1 is 0.5396, at ±2 it is 0.8796.
    [InlineData(1.0, 0.5396)]
    [InlineData(2.0, 0.8796)]
    public void TruncatedNormalHasTheTruncatedStatisticsAndStaysInBounds(double bound, double unitStd)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var t = empty(200_000);
        TruncatedNormal.Fill(t, 0, 0.02, -0.02 * bound, 0.02 * bound);
        Assert.InRange(t.mean().item<float>(), -3e-4, 3e-4);
        Assert.InRange(t.std().item<float>(), 0.02 * unitStd * 0.98, 0.02 * unitStd * 1.02);
        Assert.True(t.min().item<float>() >= -0.02 * bound);
        Assert.True(t.max().item<float>() <= 0.02 * bound);
        Assert.True(t.max().item<float>() > 0.02 * bound * 0.99, "the tail up to the bound must be populated");
    }

    [Fact]
    public void TruncatedNormalHonoursAbsoluteAsymmetricBounds()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        var t = empty(50_000);
        TruncatedNormal.Fill(t, 1.0, 2.0, 0.5, 1.5);
        Assert.True(t.min().item<float>() >= 0.5 && t.max().item<float>() <= 1.5);
        // Almost uniform on [0.5, 1.5] because the window is narrow: mean ≈ 1, std ≈ 1/sqrt(12).
        Assert.InRange(t.mean().item<float>(), 0.99, 1.01);
        Assert.InRange(t.std().item<float>(), 0.28, 0.29);
    }

    [Fact]
    public void DropPathZeroesWholeSamplesAndRescalesSurvivorsOnlyInTraining()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var dp = new DropPath(0.5);
        var x = ones(2000, 3, 4);
        var y = dp.call(x);
        var perSample = y.flatten(1);
        // Each sample is either all 0 or all 1/keep = 2.
        Assert.True(perSample.eq(0).all(1).logical_or(perSample.eq(2).all(1)).all().item<bool>());
        Assert.InRange(perSample[.., 0].eq(0).to_type(ScalarType.Float32).mean().item<float>(), 0.45, 0.55);
        dp.eval();
        Assert.True(dp.call(x).eq(x).all().item<bool>());
        Assert.Equal(new[] { 0.0, 0.05, 0.1 }, DropPath.Rates(0.1, 3).Select(r => Math.Round(r, 6)));
    }

    [Fact]
    public void PatchEmbedFlattensRowMajorAndOptionallyNorms()
    {
        using var scope = NewDisposeScope();
        var pe = new PatchEmbed(8, 4, 3, 5, withNorm: true);
        var y = pe.call(randn(2, 3, 8, 8));
        Assert.Equal(new long[] { 2, 4, 5 }, y.shape);
        // LayerNorm over channels: each token has ~zero mean.
        Assert.True(y.mean([2]).abs().max().item<float>() < 1e-5);
        Assert.Equal(new[] { "proj.weight", "proj.bias", "norm.weight", "norm.bias" }, pe.state_dict().Keys);
        Assert.Throws<ArgumentException>(() => pe.call(randn(1, 3, 12, 12)));
    }

    [Fact]
    public void PixelShuffleLayoutIsChannelMajorThenRowThenColumn()
    {
        using var scope = NewDisposeScope();
        const int r = 2, c = 3, h = 2, w = 3;
        var input = arange(c * r * r * h * w, dtype: ScalarType.Float32).reshape(1, c * r * r, h, w);
        var output = nn.PixelShuffle(r).call(input);
        Assert.Equal(new long[] { 1, c, h * r, w * r }, output.shape);
        var o = output.data<float>().ToArray();
        var inp = input.data<float>().ToArray();
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int i = 0; i < r; i++)
                        for (int j = 0; j < r; j++)
                        {
                            float expected = inp[((ch * r * r + i * r + j) * h + y) * w + x];
                            Assert.Equal(expected, o[(ch * h * r + y * r + i) * w * r + x * r + j]);
                        }
    }
}
