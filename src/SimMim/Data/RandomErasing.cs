namespace SimMim.Data;

/// <summary>
/// timm's RandomErasing in 'pixel' mode on a normalised CHW image (spec §5: p = AUG.REPROB, count 1): with probability
/// p, a box of 2–33 % of the area and aspect ratio 0.3–3.3 (log-uniform) is filled with per-pixel N(0, 1) noise.
/// </summary>
public static class RandomErasing
{
    private const int Attempts = 10;
    private const double MinArea = 0.02, MaxArea = 1.0 / 3.0, MinAspect = 0.3;

    /// <summary>Erases up to <paramref name="maxCount"/> boxes; returns how many were erased.</summary>
    public static int Apply(Span<float> image, int channels, int height, int width, double probability, Random rng, int maxCount = 1)
    {
        if (image.Length != channels * height * width)
            throw new ArgumentException($"image has {image.Length} floats, expected {channels}·{height}·{width}", nameof(image));
        if (rng.NextDouble() > probability)
            return 0;
        double area = (double)height * width, logMin = Math.Log(MinAspect), logMax = Math.Log(1 / MinAspect);
        int erased = 0;
        for (int n = 0; n < maxCount; n++)
        {
            for (int attempt = 0; attempt < Attempts; attempt++)
            {
                double target = (MinArea + (MaxArea - MinArea) * rng.NextDouble()) * area;
                double aspect = Math.Exp(logMin + (logMax - logMin) * rng.NextDouble());
                int h = (int)Math.Round(Math.Sqrt(target * aspect));
                int w = (int)Math.Round(Math.Sqrt(target / aspect));
                if (w >= width || h >= height)
                    continue;
                int top = rng.Next(0, height - h + 1), left = rng.Next(0, width - w + 1);   // Python randint: inclusive
                for (int c = 0; c < channels; c++)
                    for (int y = top; y < top + h; y++)
                        for (int x = left; x < left + w; x++)
                            image[(c * height + y) * width + x] = (float)Finetune.BetaSampler.Normal(rng);
                erased++;
                break;
            }
        }
        return erased;
    }
}
