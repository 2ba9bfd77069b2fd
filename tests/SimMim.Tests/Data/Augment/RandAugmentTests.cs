using SimMim.Data;
using SimMim.Data.Augment;

namespace SimMim.Tests.Data.Augment;

public class RandAugmentTests
{
    private const int Size = 24;

    private static byte[] Pattern()
    {
        var rng = new Random(3);
        var p = new byte[3 * Size * Size];
        for (int i = 0; i < p.Length; i++)
            p[i] = (byte)(i % 3 * 60 + i / (3 * Size) * 5 + rng.Next(0, 30));
        return p;
    }

    private static byte[] Augment(string config, int seed, ResampleFilter filter = ResampleFilter.Bicubic)
    {
        var pixels = Pattern();
        new RandAugment(RandAugmentPolicy.Parse(config), filter, RandAugment.ImageNetFill)
            .Apply(pixels, Size, Size, new Random(seed), new byte[pixels.Length]);
        return pixels;
    }

    [Fact]
    public void TheFillIsTimmsRoundedImageNetMean()
    {
        Assert.Equal([124, 116, 104], RandAugment.ImageNetFill.ToArray());
    }

    [Fact]
    public void TheSameSeedGivesTheSameImageAndSeedsDiffer()
    {
        var outputs = Enumerable.Range(0, 12).Select(seed => Augment("rand-m9-mstd0.5-inc1", seed)).ToList();
        for (int seed = 0; seed < 12; seed++)
            Assert.Equal(outputs[seed], Augment("rand-m9-mstd0.5-inc1", seed));
        // p = 0.5 per op: about a quarter of the images are untouched; most are not.
        int changed = outputs.Count(o => !o.SequenceEqual(Pattern()));
        Assert.InRange(changed, 6, 12);
        Assert.True(outputs.Distinct(new BytesComparer()).Count() >= changed);
    }

    [Fact]
    public void NoOpsOrProbabilityZeroLeaveTheImageAlone()
    {
        for (int seed = 0; seed < 10; seed++)
        {
            Assert.Equal(Pattern(), Augment("rand-m9-n0", seed));
            Assert.Equal(Pattern(), Augment("rand-m9-p0", seed));
        }
        Assert.NotEqual(Pattern(), Augment("rand-m9-n4-p1", 0));
    }

    [Fact]
    public void ParallelCallsGiveWhatSequentialCallsGive()
    {
        var shared = new RandAugment(RandAugmentPolicy.Parse("rand-m9-mstd0.5-inc1"), ResampleFilter.Bicubic, RandAugment.ImageNetFill);
        byte[] Run(int seed)
        {
            var pixels = Pattern();
            shared.Apply(pixels, Size, Size, new Random(seed), new byte[pixels.Length]);
            return pixels;
        }
        var expected = Enumerable.Range(0, 64).Select(Run).ToArray();
        var actual = new byte[64][];
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, seed => actual[seed] = Run(seed));
        Assert.Equal(expected, actual);
        Assert.Equal(expected[7], Augment("rand-m9-mstd0.5-inc1", 7));
    }

    [Fact]
    public void MagnitudeIsGaussianAroundMClippedToTheCeiling()
    {
        var noisy = new RandAugment(RandAugmentPolicy.Parse("rand-m9-mstd0.5"), ResampleFilter.Bicubic, RandAugment.ImageNetFill);
        var rng = new Random(5);
        var samples = Enumerable.Range(0, 20000).Select(_ => noisy.SampleMagnitude(rng)).ToArray();
        Assert.All(samples, m => Assert.InRange(m, 0.0, 10.0));
        int atCeiling = samples.Count(m => m == 10.0);                    // P(z > 2) ≈ 2.3 %
        Assert.InRange(atCeiling, 300, 650);
        Assert.InRange(samples.Where(m => m < 10).Average(), 8.95, 9.0);
        double sd = Math.Sqrt(samples.Average(m => (m - 9) * (m - 9)));
        Assert.InRange(sd, 0.45, 0.52);

        var fixedMagnitude = new RandAugment(RandAugmentPolicy.Parse("rand-m9"), ResampleFilter.Bicubic, RandAugment.ImageNetFill);
        var counting = new ScriptedRandom([]);
        Assert.Equal(9.0, fixedMagnitude.SampleMagnitude(counting));        // no draw at all without mstd
        Assert.Equal(10.0, new RandAugment(RandAugmentPolicy.Parse("rand-m15"), ResampleFilter.Bicubic, RandAugment.ImageNetFill)
            .SampleMagnitude(counting));                                    // clipped to the default ceiling 10
        Assert.Equal(15.0, new RandAugment(RandAugmentPolicy.Parse("rand-m15-mmax20"), ResampleFilter.Bicubic, RandAugment.ImageNetFill)
            .SampleMagnitude(counting));

        var uniform = new RandAugment(RandAugmentPolicy.Parse("rand-m8-mstd200"), ResampleFilter.Bicubic, RandAugment.ImageNetFill);
        var draws = Enumerable.Range(0, 5000).Select(_ => uniform.SampleMagnitude(rng)).ToArray();
        Assert.All(draws, m => Assert.InRange(m, 0.0, 8.0));
        Assert.InRange(draws.Average(), 3.8, 4.2);
    }

    [Fact]
    public void EachDrawnOpRunsWithItsProbabilityAtItsSampledLevel()
    {
        // n1, p0.5: draw op index 5 (SolarizeIncreasing), uniform 0.4 ≤ 0.5 → apply; m9 without noise → threshold 26.
        var policy = RandAugmentPolicy.Parse("rand-m9-n1-inc1");
        var pixels = Pattern();
        new RandAugment(policy, ResampleFilter.Bicubic, RandAugment.ImageNetFill)
            .Apply(pixels, Size, Size, new ScriptedRandom([0.4], [5]), new byte[pixels.Length]);
        var expected = Pattern();
        ImageOps.Solarize(expected, 26);
        Assert.Equal(expected, pixels);

        // The same draws with uniform 0.6 > 0.5 skip the op.
        var skipped = Pattern();
        new RandAugment(policy, ResampleFilter.Bicubic, RandAugment.ImageNetFill)
            .Apply(skipped, Size, Size, new ScriptedRandom([0.6], [5]), new byte[skipped.Length]);
        Assert.Equal(Pattern(), skipped);
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length == 0 ? 0 : HashCode.Combine(obj[0], obj[^1], obj[obj.Length / 2]);
    }
}
