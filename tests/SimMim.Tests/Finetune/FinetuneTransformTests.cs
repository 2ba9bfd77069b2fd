using SimMim.Data;

namespace SimMim.Tests.Finetune;

public class FinetuneTransformTests
{
    // An 11×9 pattern with every channel varying differently along x and y.
    private static RgbImage Pattern()
    {
        int w = 11, h = 9;
        var pixels = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int p = (y * w + x) * 3;
                pixels[p] = (byte)((x * 37 + y * 11) % 256);
                pixels[p + 1] = (byte)((x * x * 5 + y * 3) % 256);
                pixels[p + 2] = (byte)((x * y * 7 + 13) % 256);
            }
        }
        return new RgbImage(w, h, pixels);
    }

    private static int Byte(float normalised, int channel) =>
        (int)Math.Round(ImageNetNormalization.Denormalize(normalised, channel) * 255);

    // Expected bytes from PIL 9.4 (/usr/bin/python3): Image.fromarray(pattern).resize((S, S), Image.BICUBIC);
    // red channel, first 12 values, and green channel, last 6 values.
    [Theory]
    [InlineData(6, new[] { 20, 84, 161, 173, 31, 100, 36, 100, 177, 195, 47, 116 }, new[] { 25, 48, 113, 149, 76, 90 })]
    [InlineData(16, new[] { 0, 16, 44, 70, 95, 120, 146, 171, 207, 218, 52, 0 }, new[] { 54, 24, 97, 171, 99, 2 })]
    public void BicubicResizeMatchesPil(int size, int[] redHead, int[] greenTail)
    {
        var output = new float[3 * size * size];
        FinetuneEvalTransform.Apply(Pattern(), size, crop: false, output);
        int plane = size * size;
        for (int i = 0; i < redHead.Length; i++)
            Assert.InRange(Byte(output[i], 0), redHead[i] - 1, redHead[i] + 1);   // PIL uses fixed-point weights
        for (int i = 0; i < greenTail.Length; i++)
            Assert.InRange(Byte(output[2 * plane - greenTail.Length + i], 1), greenTail[i] - 1, greenTail[i] + 1);
    }

    [Fact]
    public void EvalResizeIsTheReferenceRatioAndAConstantImageStaysConstant()
    {
        Assert.Equal(256, FinetuneEvalTransform.ResizeSize(224));
        Assert.Equal(219, FinetuneEvalTransform.ResizeSize(192));
        var image = new RgbImage(40, 30, Enumerable.Repeat((byte)200, 40 * 30 * 3).ToArray());
        var output = new float[3 * 16 * 16];
        FinetuneEvalTransform.Apply(image, 16, crop: true, output);
        Assert.All(output.Take(256), v => Assert.Equal(ImageNetNormalization.Normalize(200, 0), v, 5));
    }

    [Fact]
    public void TrainTransformIsDeterministicPerSeedAndInRange()
    {
        var transform = new FinetuneTransform(16, reprob: 0);
        var image = Pattern();
        float[] Run(int seed)
        {
            var output = new float[transform.OutputLength];
            transform.Apply(image, new Random(seed), output);
            return output;
        }
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
        float low = ImageNetNormalization.Normalize(0, 0), high = ImageNetNormalization.Normalize(255, 2);
        Assert.All(Run(3), v => Assert.InRange(v, low - 1e-5f, high + 1e-5f));
        // Every value is a normalised whole byte (both bicubic passes clip and round as PIL does).
        var first = Run(4);
        Assert.All(first.Take(256), v => Assert.Equal(ImageNetNormalization.Normalize((byte)Byte(v, 0), 0), v, 5));
    }

    [Fact]
    public void RandomErasingFillsOneBoxWithNoiseInEveryChannel()
    {
        int c = 3, h = 32, w = 32;
        var image = new float[c * h * w];
        Assert.Equal(1, RandomErasing.Apply(image, c, h, w, probability: 1.0, new Random(6)));
        int erased = image.Take(h * w).Count(v => v != 0);
        Assert.InRange(erased, (int)(0.015 * h * w), (int)(0.35 * h * w));
        for (int i = 0; i < h * w; i++)
            Assert.Equal(image[i] != 0, image[2 * h * w + i] != 0);
        double mean = image.Where(v => v != 0).Average(), sd = Math.Sqrt(image.Where(v => v != 0).Average(v => (double)v * v));
        Assert.InRange(mean, -0.3, 0.3);
        Assert.InRange(sd, 0.7, 1.3);

        var untouched = new float[c * h * w];
        Assert.Equal(0, RandomErasing.Apply(untouched, c, h, w, probability: 0.0, new Random(6)));
        Assert.All(untouched, v => Assert.Equal(0f, v));
    }
}
