namespace SimMim.Data;

/// <summary>
/// Built-in demo images drawn from their index alone: ten kinds of coloured shapes and patterns on gradient
/// backgrounds. They give the default demo something with edges and textures to reconstruct without any download.
/// Class = index mod 10; the same (seed, index, size) always draws the same image.
/// </summary>
public sealed class ProceduralDataset : IImageDataset
{
    private static readonly string[] Names =
        ["rectangle", "ellipse", "horizontal_stripes", "vertical_stripes", "diagonal_stripes",
         "gradient", "radial", "checkerboard", "triangle", "ring"];

    public ProceduralDataset(int count = 2048, int size = 64, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        Count = count;
        Size = size;
        Seed = seed;
    }

    public int Count { get; }

    /// <summary>Side of every image in pixels.</summary>
    public int Size { get; }

    public int Seed { get; }

    public int NumClasses => Names.Length;

    public IReadOnlyList<string> ClassNames => Names;

    public int Label(int index) => index % Names.Length;

    public string Describe(int index) => $"builtin:{Names[Label(index)]}#{index}";

    public RgbImage Load(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var rng = new Random(SeedMix.Combine(Seed, index, 0x5EED));
        int s = Size;
        var bg0 = RandomColor(rng);
        var bg1 = RandomColor(rng);
        var fg = RandomColor(rng);
        // Shape geometry in unit coordinates: centre, half extents, period, angle.
        double cx = 0.3 + 0.4 * rng.NextDouble(), cy = 0.3 + 0.4 * rng.NextDouble();
        double rx = 0.15 + 0.2 * rng.NextDouble(), ry = 0.15 + 0.2 * rng.NextDouble();
        double period = 0.08 + 0.17 * rng.NextDouble();
        double angle = Math.PI * rng.NextDouble();
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        int kind = Label(index);

        var pixels = new byte[s * s * 3];
        for (int y = 0; y < s; y++)
        {
            double v = (y + 0.5) / s;
            for (int x = 0; x < s; x++)
            {
                double u = (x + 0.5) / s;
                double dx = u - cx, dy = v - cy;
                // t = weight of the foreground colour at this pixel (1 = fully foreground).
                double t = kind switch
                {
                    0 => Math.Abs(dx) <= rx && Math.Abs(dy) <= ry ? 1 : 0,
                    1 => (dx * dx) / (rx * rx) + (dy * dy) / (ry * ry) <= 1 ? 1 : 0,
                    2 => Stripe(v, period),
                    3 => Stripe(u, period),
                    4 => Stripe(u * cos + v * sin, period),
                    5 => Math.Clamp(0.5 + (dx * cos + dy * sin) * 1.5, 0, 1),
                    6 => Math.Clamp(1 - Math.Sqrt(dx * dx + dy * dy) / (rx + ry), 0, 1),
                    7 => (Math.Floor(u / period) + Math.Floor(v / period)) % 2 == 0 ? 1 : 0,
                    8 => InTriangle(dx / rx, dy / ry) ? 1 : 0,
                    _ => Math.Abs(Math.Sqrt(dx * dx + dy * dy) - rx) <= 0.35 * period + 0.02 ? 1 : 0,
                };
                double g = v * 0.7 + u * 0.3;
                int o = (y * s + x) * 3;
                for (int c = 0; c < 3; c++)
                {
                    double background = bg0[c] + (bg1[c] - bg0[c]) * g;
                    double value = background + (fg[c] - background) * t;
                    pixels[o + c] = (byte)Math.Clamp(Math.Round(value), 0, 255);
                }
            }
        }
        return new RgbImage(s, s, pixels);
    }

    private static int[] RandomColor(Random rng) => [rng.Next(256), rng.Next(256), rng.Next(256)];

    private static double Stripe(double coordinate, double period) =>
        (coordinate / period - Math.Floor(coordinate / period)) < 0.5 ? 1 : 0;

    // Upward triangle with apex (0, −1) and base corners (±1, 1) in shape-local units.
    private static bool InTriangle(double x, double y) => y <= 1 && y >= -1 && Math.Abs(x) <= (y + 1) / 2;
}
