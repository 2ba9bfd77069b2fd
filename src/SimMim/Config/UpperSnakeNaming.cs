using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace SimMim.Config;

// The reference's yacs keys are UPPER_SNAKE (DATA.IMG_SIZE); our records are PascalCase (Data.ImgSize). This is the
// one mapping between the two, used by the loader and the writer alike, so no key is ever listed by hand.
internal static class UpperSnakeNaming
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyList<ConfigKey>> s_keys = new();

    /// <summary>ImgSize → IMG_SIZE, AmpOptLevel → AMP_OPT_LEVEL.</summary>
    public static string ToUpperSnake(string pascal)
    {
        var sb = new StringBuilder(pascal.Length + 4);
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            if (i > 0 && char.IsUpper(c))
            {
                sb.Append('_');
            }
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }

    /// <summary>The settable properties of a config record with their UPPER_SNAKE keys, in declaration order.</summary>
    public static IReadOnlyList<ConfigKey> Keys(Type recordType) =>
        s_keys.GetOrAdd(recordType, static t => t
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && p.GetCustomAttribute<NotAConfigKeyAttribute>() is null)
            .OrderBy(p => p.MetadataToken)
            .Select(p => new ConfigKey(ToUpperSnake(p.Name), p))
            .ToArray());

    public static ConfigKey? Find(Type recordType, string key) =>
        Keys(recordType).FirstOrDefault(k => k.Name == key);

    /// <summary>A config section is one of our records (DataConfig, SwinConfig …) rather than a value.</summary>
    public static bool IsSection(Type type) =>
        type.IsClass && type.Assembly == typeof(SimMimConfig).Assembly
        && type.Namespace?.StartsWith("SimMim.", StringComparison.Ordinal) == true;   // not the compiler's list types

    /// <summary>The known key nearest to a misspelt one (case or at most two edits), for "did you mean".</summary>
    public static string? Nearest(Type recordType, string key)
    {
        string? best = null;
        int bestDistance = 3;
        foreach (ConfigKey k in Keys(recordType))
        {
            int d = string.Equals(k.Name, key, StringComparison.OrdinalIgnoreCase) ? 0 : EditDistance(k.Name, key);
            if (d < bestDistance)
            {
                (best, bestDistance) = (k.Name, d);
            }
        }
        return best;
    }

    private static int EditDistance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}

/// <summary>One reference key (UPPER_SNAKE) and the record property that holds it.</summary>
internal sealed record ConfigKey(string Name, PropertyInfo Property);
