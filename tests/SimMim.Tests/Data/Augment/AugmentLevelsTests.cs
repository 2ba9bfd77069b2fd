using SimMim.Data.Augment;

namespace SimMim.Tests.Data.Augment;

public class AugmentLevelsTests
{
    private const double Positive = 0.3, Negative = 0.7;   // timm negates when the uniform exceeds 0.5

    private static double At(AugmentOp op, double level, double sign = Positive) =>
        AugmentLevels.Argument(op, level, new ScriptedRandom([sign]));

    [Fact]
    public void MagnitudeNineGivesTimmsArguments()
    {
        Assert.Equal(27.0, At(AugmentOp.Rotate, 9), 12);
        Assert.Equal(-27.0, At(AugmentOp.Rotate, 9, Negative), 12);
        Assert.Equal(1.0, At(AugmentOp.PosterizeIncreasing, 9));      // 4 − int(3.6)
        Assert.Equal(3.0, At(AugmentOp.Posterize, 9));                // int(3.6)
        Assert.Equal(26.0, At(AugmentOp.SolarizeIncreasing, 9));      // 256 − int(230.4)
        Assert.Equal(230.0, At(AugmentOp.Solarize, 9));
        Assert.Equal(99.0, At(AugmentOp.SolarizeAdd, 9));             // int(0.9 · 110 = 99.00000000000001)
        Assert.Equal(1.81, At(AugmentOp.ColorIncreasing, 9), 12);     // 1 ± 0.9 · 0.9
        Assert.Equal(0.19, At(AugmentOp.BrightnessIncreasing, 9, Negative), 12);
        Assert.Equal(1.72, At(AugmentOp.Contrast, 9), 12);            // 0.9 · 1.8 + 0.1
        Assert.Equal(0.27, At(AugmentOp.ShearX, 9), 12);
        Assert.Equal(-0.27, At(AugmentOp.ShearY, 9, Negative), 12);
        Assert.Equal(0.405, At(AugmentOp.TranslateXRel, 9), 12);
        Assert.Equal(-0.405, At(AugmentOp.TranslateYRel, 9, Negative), 12);
    }

    [Fact]
    public void IncreasingOpsGrowMoreSevereWithTheLevel()
    {
        Assert.Equal(4.0, At(AugmentOp.PosterizeIncreasing, 0));      // 4 bits kept
        Assert.Equal(0.0, At(AugmentOp.PosterizeIncreasing, 10));     // none kept
        Assert.Equal(256.0, At(AugmentOp.SolarizeIncreasing, 0));     // nothing inverted
        Assert.Equal(0.0, At(AugmentOp.SolarizeIncreasing, 10));      // everything inverted
        Assert.Equal(1.0, At(AugmentOp.SharpnessIncreasing, 0));      // no change
        Assert.Equal(0.1, At(AugmentOp.ColorIncreasing, 10, Negative), 12);
        Assert.Equal(0.1, At(AugmentOp.Sharpness, 0), 12);            // the plain variants run 0.1 → 1.9
    }

    [Fact]
    public void LevelsBeyondTenAreCappedAsTimmCapsThem()
    {
        Assert.Equal(256.0, At(AugmentOp.Solarize, 20));
        Assert.Equal(128.0, At(AugmentOp.SolarizeAdd, 20));
        Assert.Equal(0.1, At(AugmentOp.ContrastIncreasing, 20, Negative), 12);   // 1 − 1.8, kept at 0.1
    }

    [Fact]
    public void OnlySignedOpsDrawASign()
    {
        foreach (var op in Enum.GetValues<AugmentOp>())
        {
            var rng = new ScriptedRandom([Positive]);
            AugmentLevels.Argument(op, 5, rng);
            bool signed = op is AugmentOp.Rotate or AugmentOp.ShearX or AugmentOp.ShearY or AugmentOp.TranslateXRel
                or AugmentOp.TranslateYRel or AugmentOp.ColorIncreasing or AugmentOp.ContrastIncreasing
                or AugmentOp.BrightnessIncreasing or AugmentOp.SharpnessIncreasing;
            Assert.True((signed ? 1 : 0) == rng.UniformsDrawn, op.ToString());
        }
    }
}
