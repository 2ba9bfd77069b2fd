using SimMim.Data.Augment;

namespace SimMim.Tests.Data.Augment;

public class ColorJitterTests
{
    private static byte[] Image() => [100, 150, 200, 0, 0, 0, 30, 220, 90, 255, 255, 255];

    [Fact]
    public void FactorsSpanOneMinusToOnePlusTheStrengthFloorAtZero()
    {
        var jitter = new ColorJitter(0.4);
        Assert.Equal(0.6, jitter.Low, 12);
        Assert.Equal(1.4, jitter.High, 12);
        Assert.Equal(0.0, new ColorJitter(1.5).Low);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ColorJitter(0));
    }

    [Fact]
    public void TheThreeAdjustmentsRunInTheShuffledOrderWithTheirOwnFactors()
    {
        // Uniforms 0, 0.25, 0.75 → brightness 0.6, contrast 0.8, saturation 1.2 (strength 0.4).
        // Random.Shuffle draws Next(0, 3) then Next(1, 3): [2, 1] swaps B↔S, then keeps → saturation, contrast, brightness.
        var pixels = Image();
        new ColorJitter(0.4).Apply(pixels, new ScriptedRandom([0, 0.25, 0.75], [2, 1]));
        var expected = Image();
        ImageEnhance.Color(expected, 1.2);
        ImageEnhance.Contrast(expected, 0.8);
        ImageEnhance.Brightness(expected, 0.6);
        Assert.Equal(expected, pixels);

        // [0, 1]: no swaps → brightness, contrast, saturation; the order changes the bytes.
        var inOrder = Image();
        new ColorJitter(0.4).Apply(inOrder, new ScriptedRandom([0, 0.25, 0.75], [0, 1]));
        var expectedInOrder = Image();
        ImageEnhance.Brightness(expectedInOrder, 0.6);
        ImageEnhance.Contrast(expectedInOrder, 0.8);
        ImageEnhance.Color(expectedInOrder, 1.2);
        Assert.Equal(expectedInOrder, inOrder);
        Assert.NotEqual(pixels, inOrder);
    }

    [Fact]
    public void SameSeedSameImage()
    {
        var jitter = new ColorJitter(0.4);
        byte[] Run(int seed)
        {
            var pixels = Image();
            jitter.Apply(pixels, new Random(seed));
            return pixels;
        }
        Assert.Equal(Run(3), Run(3));
        Assert.NotEqual(Run(3), Run(4));
    }
}
