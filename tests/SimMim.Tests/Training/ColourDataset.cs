namespace SimMim.Tests.Training;

/// <summary>10 classes, each a base colour plus uniform pixel noise (±40 of 255): a linearly separable toy set.</summary>
internal sealed class ColourDataset(int count, int seed) : SimMim.Data.IImageDataset
{
    private static readonly byte[][] s_palette =
    [
        [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
        [145, 30, 180], [70, 240, 240], [240, 50, 230], [128, 128, 128], [20, 20, 20],
    ];

    public int Count => count;
    public int NumClasses => 10;
    public IReadOnlyList<string> ClassNames => Enumerable.Range(0, 10).Select(i => $"c{i}").ToList();
    public int Label(int index) => index % 10;
    public string Describe(int index) => $"colour#{index}";

    public SimMim.Data.RgbImage Load(int index)
    {
        var rng = new Random(seed * 100_003 + index);
        var pixels = new byte[16 * 16 * 3];
        var colour = s_palette[Label(index)];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)Math.Clamp(colour[i % 3] + rng.Next(-40, 41), 0, 255);
        return new SimMim.Data.RgbImage(16, 16, pixels);
    }
}
