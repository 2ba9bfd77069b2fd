using SimMim.Data;

namespace SimMim.Tests.Data;

public class ProceduralDatasetTests
{
    [Fact]
    public void ImagesAreDeterministicStructuredAndLabelledByIndex()
    {
        var ds = new ProceduralDataset(40, 32);
        Assert.Equal(10, ds.NumClasses);
        Assert.Equal(3, ds.Label(13));
        Assert.Equal(ds.Load(7).Pixels, new ProceduralDataset(40, 32).Load(7).Pixels);
        Assert.NotEqual(ds.Load(7).Pixels, ds.Load(17).Pixels);
        Assert.NotEqual(ds.Load(7).Pixels, new ProceduralDataset(40, 32, seed: 1).Load(7).Pixels);
        for (int i = 0; i < 10; i++)
        {
            // Not flat: every kind has many distinct colours.
            RgbImage image = ds.Load(i);
            Assert.Equal(32, image.Width);
            Assert.True(image.Pixels.Distinct().Count() > 8, ds.Describe(i));
        }
        Assert.Equal("builtin:ring#9", ds.Describe(9));
    }
}
