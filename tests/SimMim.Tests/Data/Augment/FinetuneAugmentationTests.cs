using System.Runtime.InteropServices;
using System.Security.Cryptography;
using SimMim.Data;

namespace SimMim.Tests.Data.Augment;

/// <summary>RandAugment and colour jitter inside <see cref="FinetuneTransform"/> and the training loader.</summary>
public class FinetuneAugmentationTests
{
    private const string Reference = "rand-m9-mstd0.5-inc1";

    private static RgbImage Noise(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    private static float[] Run(FinetuneTransform transform, RgbImage image, int seed)
    {
        var output = new float[transform.OutputLength];
        transform.Apply(image, new Random(seed), output);
        return output;
    }

    private static string Hash(Func<int, float[]> run)
    {
        using var sha = SHA256.Create();
        for (int seed = 0; seed < 20; seed++)
        {
            byte[] bytes = MemoryMarshal.AsBytes(run(seed).AsSpan()).ToArray();
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!);
    }

    // SHA-256 of 20 seeds' float outputs, recorded from the transforms as they were before RandAugment existed
    // (commit 5f53f39): without auto-augment or jitter, nothing about the output may change.
    [Theory]
    [InlineData(16, 0.0, "190CABB6CFF9927E30BCA8C5941F6616ED438D15084A3732DC2C112E4D59EC91")]
    [InlineData(24, 0.25, "652E310F3A0DA140A3D85F6D9E1DA0E5FD6AFA516DFC0075022DF2A5EC4C5C45")]
    [InlineData(32, 1.0, "3A14AE836A27497908C74D617502E0F680CC04A9BA0C7C859607D41B5D3D5C4F")]
    public void WithoutAutoAugmentTheOutputIsBitIdenticalToBefore(int size, double reprob, string expected)
    {
        var image = Noise(37, 29, 7);
        var transform = new FinetuneTransform(size, reprob: reprob, autoAugment: "none", colorJitter: 0);
        Assert.False(transform.UsesRandAugment || transform.UsesColorJitter);
        Assert.Equal(expected, Hash(seed => Run(transform, image, seed)));
    }

    [Fact]
    public void ThePretrainTransformIsBitIdenticalToBefore()
    {
        var image = Noise(37, 29, 7);
        var transform = new PretrainTransform(24);
        Assert.Equal("74E8BE982244B2FD4F3FB45933AEF72C41D7D592464DC2B661256718477361D6", Hash(seed =>
        {
            var output = new float[transform.OutputLength];
            transform.Apply(image, new Random(seed), output);
            return output;
        }));
    }

    [Theory]
    [InlineData(ResampleFilter.Bicubic)]
    [InlineData(ResampleFilter.Bilinear)]
    public void TheByteResizeNormalisesToExactlyTheFloatResize(ResampleFilter filter)
    {
        var image = Noise(41, 23, 2);
        var rng = new Random(9);
        for (int trial = 0; trial < 20; trial++)
        {
            int size = rng.Next(4, 40), w = rng.Next(1, 42), h = rng.Next(1, 24), x = rng.Next(0, 42 - w), y = rng.Next(0, 24 - h);
            bool flip = trial % 2 == 0;
            var floats = new float[3 * size * size];
            Resampler.Resize(image, x, y, w, h, x, x + w, y, y + h, size, flip, floats, filter);
            var bytes = new byte[3 * size * size];
            Resampler.ResizeToBytes(image, x, y, w, h, x, x + w, y, y + h, size, flip, bytes, filter);
            var normalised = new float[bytes.Length];
            Resampler.Normalize(bytes, normalised);
            Assert.Equal(floats, normalised);
        }
    }

    [Fact]
    public void RandAugmentChangesTheCropDeterministicallyAndKeepsWholeBytes()
    {
        var image = Noise(40, 30, 4);
        var plain = new FinetuneTransform(16, reprob: 0);
        var augmented = new FinetuneTransform(16, reprob: 0, autoAugment: Reference);
        Assert.True(augmented.UsesRandAugment);
        int changed = 0;
        for (int seed = 0; seed < 16; seed++)
        {
            var output = Run(augmented, image, seed);
            Assert.Equal(output, Run(augmented, image, seed));
            if (!output.AsSpan().SequenceEqual(Run(plain, image, seed)))
                changed++;
            for (int c = 0; c < 3; c++)
            {
                foreach (float v in output.AsSpan(c * 256, 256))
                {
                    int b = (int)Math.Round(ImageNetNormalization.Denormalize(v, c) * 255);
                    Assert.Equal(ImageNetNormalization.Normalize((byte)b, c), v);
                }
            }
        }
        Assert.InRange(changed, 9, 16);   // both ops skipped (p = 0.25) on the rest
    }

    [Fact]
    public void ColourJitterRunsOnlyWithoutAnAutoAugmentPolicy()
    {
        var image = Noise(40, 30, 5);
        var plain = new FinetuneTransform(16);
        var jittered = new FinetuneTransform(16, colorJitter: 0.4);
        var both = new FinetuneTransform(16, autoAugment: Reference, colorJitter: 0.4);
        var randOnly = new FinetuneTransform(16, autoAugment: Reference, colorJitter: 0);
        Assert.True(jittered.UsesColorJitter);
        Assert.False(both.UsesColorJitter);   // timm ignores the jitter when auto-augment is set
        for (int seed = 0; seed < 8; seed++)
        {
            Assert.Equal(Run(randOnly, image, seed), Run(both, image, seed));
            Assert.NotEqual(Run(plain, image, seed), Run(jittered, image, seed));
        }
    }

    [Fact]
    public void BadSettingsAreConfigErrorsNamingTheirKey()
    {
        Assert.Contains("AUG.AUTO_AUGMENT", Assert.Throws<ConfigException>(() => new FinetuneTransform(16, autoAugment: "v0")).Message);
        Assert.Contains("AUG.COLOR_JITTER", Assert.Throws<ConfigException>(() => new FinetuneTransform(16, colorJitter: -0.1)).Message);
        Assert.Contains("AUG.COLOR_JITTER", Assert.Throws<ConfigException>(() => new FinetuneTransform(16, colorJitter: double.NaN)).Message);
    }

    [Fact]
    public void TheLoaderGivesTheSameAugmentedBatchesForAnyWorkerCount()
    {
        var data = new ProceduralDataset(24, 20);
        var transform = new FinetuneTransform(16, reprob: 0.25, autoAugment: Reference);
        List<float[]> Collect(int workers)
        {
            using var loader = ClassificationLoader.ForTraining(data, transform, batchSize: 4, seed: 11, workers: workers, prefetch: 2);
            var images = new List<float[]>();
            foreach (var batch in loader.Epoch(1))
            {
                using (batch)
                    images.Add(batch.Images.data<float>().ToArray());
            }
            return images;
        }
        var inline = Collect(0);
        Assert.Equal(6, inline.Count);
        Assert.Equal(inline, Collect(1));
        Assert.Equal(inline, Collect(3));
    }
}
