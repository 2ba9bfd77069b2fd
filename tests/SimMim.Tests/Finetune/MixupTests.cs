using SimMim.Finetune;
using SimMim.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Finetune;

public class MixupTests
{
    [Fact]
    public void SoftTargetsAreSmoothedOneHotsMixedWithTheReversedBatch()
    {
        // K = 3, smoothing 0.3 → off 0.1, on 0.8; λ 0.25 mixes row i with row B−1−i.
        var y = Mixup.SoftTargets(tensor(new long[] { 0, 2 }), 3, lam: 0.25, smoothing: 0.3);
        float[] expected = [0.275f, 0.1f, 0.625f, 0.625f, 0.1f, 0.275f];
        Assert.Equal(expected, TestModels.Values(y), (a, b) => Math.Abs(a - b) < 1e-6);
        // The reference's 1000 classes, smoothing 0.1: off 1e-4, on 0.9001 (spec §5).
        var one = TestModels.Values(Mixup.SoftTargets(tensor(new long[] { 7, 7 }), 1000, 1.0, 0.1));
        Assert.Equal(0.9001f, one[7], 6);
        Assert.Equal(1e-4f, one[0], 8);
    }

    [Fact]
    public void BlendAndPasteWorkInPlaceAgainstTheFlippedBatch()
    {
        var x = tensor(new float[] { 1, 3 }).reshape(2, 1, 1, 1);
        Mixup.Blend(x, 0.25);
        Assert.Equal([2.5f, 1.5f], TestModels.Values(x));

        var images = arange(4, dtype: ScalarType.Float32).reshape(4, 1, 1, 1).expand(4, 1, 4, 4).contiguous();
        Mixup.PasteFlipped(images, (1, 3, 0, 2));
        Assert.Equal(3f, images[0, 0, 1, 0].item<float>());
        Assert.Equal(3f, images[0, 0, 2, 1].item<float>());
        Assert.Equal(0f, images[0, 0, 0, 0].item<float>());
        Assert.Equal(0f, images[0, 0, 1, 2].item<float>());
        Assert.Equal(2f, images[1, 0, 2, 1].item<float>());
        Assert.Equal(0f, images[3, 0, 1, 1].item<float>());
        Assert.Equal(2 * 2 * 4, (int)images.ne(arange(4, dtype: ScalarType.Float32).reshape(4, 1, 1, 1)).sum().item<long>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CutmixLambdaIsTheShareOfOwnPixelsAndTargetsFollowIt(int seed)
    {
        var options = new MixupOptions { MixupAlpha = 0, CutmixAlpha = 1.0, LabelSmoothing = 0, NumClasses = 2 };
        var x = cat([zeros(1, 1, 16, 16), ones(1, 1, 16, 16)]);
        var targets = new Mixup(options, seed).Apply(x, tensor(new long[] { 0, 1 }));

        double ownShare = 1 - x[0].mean().item<float>();
        Assert.Equal(ownShare, targets[0, 0].item<float>(), 6);
        Assert.Equal(1 - ownShare, targets[0, 1].item<float>(), 6);
        Assert.Equal(ownShare, x[1].mean().item<float>(), 6);
    }

    [Fact]
    public void SameSeedSameMixAndProbabilityZeroLeavesTheBatch()
    {
        var options = new MixupOptions { NumClasses = 4 };
        Tensor Run(int seed, MixupOptions o, out Tensor x)
        {
            x = randn(4, 3, 8, 8, generator: new Generator(5));
            return new Mixup(o, seed).Apply(x, tensor(new long[] { 0, 1, 2, 3 }));
        }
        var t1 = Run(9, options, out var x1);
        var t2 = Run(9, options, out var x2);
        Assert.True(x1.eq(x2).all().item<bool>());
        Assert.True(t1.eq(t2).all().item<bool>());

        var t0 = Run(9, options with { Prob = 0 }, out var x0);
        Assert.True(x0.eq(randn(4, 3, 8, 8, generator: new Generator(5))).all().item<bool>());
        Assert.Equal(1 - 0.1 + 0.025, t0[2, 2].item<float>(), 6);
        Assert.Throws<ArgumentException>(() => new Mixup(options, 1).Apply(zeros(3, 3, 8, 8), tensor(new long[] { 0, 1, 2 })));
    }

    [Fact]
    public void SwitchProbabilityChoosesCutmixAboutHalfTheTime()
    {
        var mixup = new Mixup(new MixupOptions(), 11);
        int cutmix = 0;
        for (int i = 0; i < 4000; i++)
            cutmix += mixup.DrawParameters().UseCutmix ? 1 : 0;
        Assert.InRange(cutmix, 1800, 2200);
    }

    [Theory]
    [InlineData(0.8)]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void BetaDrawsHaveTheRightMeanAndVariance(double alpha)
    {
        var random = new Random(4);
        var draws = Enumerable.Range(0, 40000).Select(_ => BetaSampler.Beta(random, alpha, alpha)).ToArray();
        double mean = draws.Average(), variance = draws.Select(d => (d - mean) * (d - mean)).Average();
        Assert.Equal(0.5, mean, 2);
        Assert.Equal(0.25 / (2 * alpha + 1), variance, 2);   // αβ/((α+β)²(α+β+1)) with α = β
    }

    [Fact]
    public void LossesAgreeWithTorchCrossEntropy()
    {
        var logits = randn(6, 5, generator: new Generator(1));
        var labels = tensor(new long[] { 0, 1, 2, 3, 4, 0 });
        var reference = nn.functional.cross_entropy(logits, labels, label_smoothing: 0.1).item<float>();
        Assert.Equal(reference, SoftTargetCrossEntropy.LabelSmoothing(logits, labels, 0.1).item<float>(), 5);
        var soft = Mixup.SoftTargets(labels, 5, lam: 1.0, smoothing: 0.1);
        Assert.Equal(reference, SoftTargetCrossEntropy.Loss(logits, soft).item<float>(), 5);
        Assert.Equal(nn.functional.cross_entropy(logits, labels).item<float>(),
            SoftTargetCrossEntropy.LabelSmoothing(logits, labels, 0.0).item<float>(), 5);
    }
}
