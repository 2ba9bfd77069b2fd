namespace SimMim.Data;

/// <summary>
/// Derives independent seeds from a tuple such as (run seed, epoch, sample position), so every random draw of the
/// pipeline is fixed by what is drawn rather than by which thread drew it or when.
/// </summary>
internal static class SeedMix
{
    public static int Combine(long a, long b, long c)
    {
        ulong h = Mix((ulong)a ^ 0x9E3779B97F4A7C15UL);
        h = Mix(h ^ (ulong)b);
        h = Mix(h ^ (ulong)c);
        return (int)(h >> 33);
    }

    // SplitMix64's finaliser (Steele et al., 2014): every input bit affects every output bit.
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
