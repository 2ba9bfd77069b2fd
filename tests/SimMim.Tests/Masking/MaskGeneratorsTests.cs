using SimMim.Config;
using SimMim.Masking;

namespace SimMim.Tests.Masking;

public class MaskGeneratorsTests
{
    [Fact]
    public void TheConfigsGeneratorDrawsTheReferenceMasksOverTheModelsTokens()
    {
        var data = new DataConfig { ImgSize = 192, MaskPatchSize = 32, MaskRatio = 0.6 };

        IMaskGenerator fromConfig = MaskGenerators.FromConfig(data, modelPatchSize: 4);
        var direct = new RandomMaskGenerator(192, 32, 4, 0.6);

        Assert.Equal((192, 48, 48 * 48), (fromConfig.InputSize, fromConfig.TokenGrid, fromConfig.TokenCount));
        var expected = new long[direct.TokenCount];
        var actual = new long[fromConfig.TokenCount];
        direct.Generate(new Random(3), expected);
        fromConfig.Generate(new Random(3), actual);
        Assert.Equal(expected, actual);
        Assert.Equal(22 * 8 * 8, actual.Sum());
    }

    [Fact]
    public void AnImpossibleConfigNamesItsKey()
    {
        var ex = Assert.Throws<ConfigException>(() =>
            MaskGenerators.FromConfig(new DataConfig { ImgSize = 192, MaskPatchSize = 32, MaskRatio = 1.5 }, 4));
        Assert.Contains("DATA.MASK_RATIO", ex.Message);
    }
}
