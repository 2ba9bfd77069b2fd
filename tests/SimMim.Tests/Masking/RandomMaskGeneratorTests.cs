using SimMim.Masking;

namespace SimMim.Tests.Masking;

public class RandomMaskGeneratorTests
{
    [Theory]
    [InlineData(192, 32, 4, 0.6, 6, 48, 22)]
    [InlineData(224, 32, 16, 0.6, 7, 14, 30)]
    public void ReferenceConfigsMaskTheTabulatedBlockCount(
        int input, int maskPatch, int modelPatch, double ratio, int randSize, int grid, int maskCount)
    {
        var gen = new RandomMaskGenerator(input, maskPatch, modelPatch, ratio);
        Assert.Equal(randSize, gen.RandSize);
        Assert.Equal(grid, gen.TokenGrid);
        Assert.Equal(maskCount, gen.MaskCount);

        var mask = new long[grid * grid];
        gen.Generate(new Random(1), mask);
        Assert.Equal(maskCount * gen.Scale * gen.Scale, mask.Sum());
        Assert.All(mask, v => Assert.True(v == 0 || v == 1));
    }

    [Fact]
    public void CeilFollowsFloat64LikeNumpy()
    {
        // 0.6·36 = 21.599999999999998 in float64; 0.5·36 = 18 exactly stays 18.
        Assert.Equal(22, new RandomMaskGenerator(192, 32, 4, 0.6).MaskCount);
        Assert.Equal(18, new RandomMaskGenerator(192, 32, 4, 0.5).MaskCount);
        Assert.Equal(1, new RandomMaskGenerator(64, 32, 4, 0.01).MaskCount);
    }

    [Fact]
    public void EveryBlockIsConstant()
    {
        var gen = new RandomMaskGenerator(192, 32, 4, 0.6);
        var mask = new long[gen.TokenCount];
        var rng = new Random(7);
        for (int trial = 0; trial < 20; trial++)
        {
            gen.Generate(rng, mask);
            for (int y = 0; y < gen.TokenGrid; y++)
            {
                for (int x = 0; x < gen.TokenGrid; x++)
                {
                    long corner = mask[(y / gen.Scale * gen.Scale) * gen.TokenGrid + x / gen.Scale * gen.Scale];
                    Assert.Equal(corner, mask[y * gen.TokenGrid + x]);
                }
            }
        }
    }

    [Fact]
    public void BlocksAreMaskedRoughlyUniformly()
    {
        var gen = new RandomMaskGenerator(224, 32, 16, 0.6);
        var mask = new long[gen.TokenCount];
        var hits = new int[gen.BlockCount];
        var rng = new Random(3);
        const int Trials = 4000;
        for (int t = 0; t < Trials; t++)
        {
            gen.Generate(rng, mask);
            for (int b = 0; b < gen.BlockCount; b++)
            {
                hits[b] += (int)mask[(b / gen.RandSize) * gen.Scale * gen.TokenGrid + (b % gen.RandSize) * gen.Scale];
            }
        }
        double expected = Trials * (double)gen.MaskCount / gen.BlockCount; // ≈ 2449, σ ≈ 31
        Assert.All(hits, h => Assert.InRange(h, expected - 200, expected + 200));
    }

    [Fact]
    public void SameSeedGivesSameMaskAndDifferentSeedsDiffer()
    {
        var gen = new RandomMaskGenerator(192, 32, 4, 0.6);
        var a = new long[gen.TokenCount];
        var b = new long[gen.TokenCount];
        var c = new long[gen.TokenCount];
        gen.Generate(new Random(42), a);
        gen.Generate(new Random(42), b);
        gen.Generate(new Random(43), c);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(200, 32, 4, 0.6, "DATA.IMG_SIZE")]
    [InlineData(192, 30, 4, 0.6, "DATA.MASK_PATCH_SIZE")]
    [InlineData(192, 32, 5, 0.6, "PATCH_SIZE")]
    [InlineData(192, 32, 4, 0.0, "DATA.MASK_RATIO")]
    [InlineData(192, 32, 4, 1.0, "DATA.MASK_RATIO")]
    [InlineData(192, 32, 4, double.NaN, "DATA.MASK_RATIO")]
    [InlineData(0, 32, 4, 0.6, "DATA.IMG_SIZE")]
    public void ImpossibleSettingsThrowConfigExceptionNamingTheKey(
        int input, int maskPatch, int modelPatch, double ratio, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => new RandomMaskGenerator(input, maskPatch, modelPatch, ratio));
        Assert.Contains(key, ex.Message);
    }

    [Fact]
    public void WrongDestinationLengthIsABug()
    {
        var gen = new RandomMaskGenerator(64, 32, 4, 0.6);
        Assert.Throws<ArgumentException>(() => gen.Generate(new Random(0), new long[10]));
    }
}
