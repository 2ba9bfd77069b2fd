namespace SimMim.Finetune;

/// <summary>Beta and Gamma draws from a seeded <see cref="Random"/> (NumPy's generator cannot be reproduced anyway).</summary>
public static class BetaSampler
{
    /// <summary>Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).</summary>
    public static double Beta(Random random, double a, double b)
    {
        double x = Gamma(random, a), y = Gamma(random, b);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia–Tsang; shape below 1 via Gamma(shape+1)·U^(1/shape).</summary>
    public static double Gamma(Random random, double shape)
    {
        if (shape <= 0)
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "shape must be positive");
        if (shape < 1)
            return Gamma(random, shape + 1) * Math.Pow(1.0 - random.NextDouble(), 1.0 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double z, v;
            do
            {
                z = Normal(random);
                v = 1 + c * z;
            }
            while (v <= 0);
            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (Math.Log(u) < 0.5 * z * z + d - d * v + d * Math.Log(v))
                return d * v;
        }
    }

    /// <summary>Standard normal by Box–Muller.</summary>
    public static double Normal(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
