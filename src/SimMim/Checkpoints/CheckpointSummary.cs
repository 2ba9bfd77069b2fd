using System.Collections;
using System.Globalization;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>What `simmim inspect` reports about a loaded checkpoint, as plain strings and numbers.</summary>
public static class CheckpointSummary
{
    /// <summary>Buffers the reference saves but does not learn: recomputed from geometry, not parameters.</summary>
    public static bool IsGeometryBuffer(string key) =>
        key.EndsWith("relative_position_index", StringComparison.Ordinal) || key.EndsWith("attn_mask", StringComparison.Ordinal);

    /// <summary>Elements of all tensors except <see cref="IsGeometryBuffer"/> ones.</summary>
    public static long ParameterCount(IReadOnlyDictionary<string, Tensor> state) =>
        state.Where(kv => !IsGeometryBuffer(kv.Key)).Sum(kv => kv.Value.NumberOfElements);

    /// <summary>The entries of a training checkpoint besides 'model' (epoch, config, optimizer…), described in one line each.</summary>
    public static IEnumerable<(string Key, string Value)> OtherEntries(object? checkpoint)
    {
        if (checkpoint is not IDictionary top || top["model"] is not IDictionary) yield break;
        foreach (DictionaryEntry entry in top)
        {
            if (entry.Key is "model") continue;
            yield return (Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "", Describe(entry.Value));
        }
    }

    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => s.Contains('\n') ? $"text, {s.Split('\n').Length} lines" : s.Length > 60 ? s[..57] + "..." : s,
        bool b => b ? "True" : "False",
        long or double or System.Numerics.BigInteger => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        Tensor { NumberOfElements: 1 } t when is_floating_point(t) => t.to(ScalarType.Float64).item<double>().ToString("G6", CultureInfo.InvariantCulture),
        Tensor { NumberOfElements: 1 } t when t.dtype is not ScalarType.Bool => t.to(ScalarType.Int64).item<long>().ToString(CultureInfo.InvariantCulture),
        Tensor t => $"tensor {t.dtype} ({string.Join(", ", t.shape)})",
        PickledObject o => $"<{o.ClassName}> (not loaded: an opaque pickled object{Contents(o)})",
        IDictionary d => $"dict, {d.Count} entries",
        ICollection c => $"sequence, {c.Count} items",
        _ => value.GetType().Name,
    };

    // A reference checkpoint's yacs config is a dict subclass: its top-level keys show what it is without building it.
    private static string Contents(PickledObject o)
    {
        if (o.Entries.Count == 0) return "";
        var keys = o.Entries.Keys.Take(MaxKeysShown).Select(k => Convert.ToString(k, CultureInfo.InvariantCulture));
        return $"; {o.Entries.Count} entries: {string.Join(", ", keys)}{(o.Entries.Count > MaxKeysShown ? ", ..." : "")}";
    }

    private const int MaxKeysShown = 12;
}
