using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>Strict, name-based state-dict loading that reports every mismatch at once.</summary>
public static class StateDicts
{
    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="module"/>'s parameters and buffers by name. Missing keys,
    /// unexpected keys and shape mismatches are all reported in one <see cref="CheckpointException"/>.
    /// </summary>
    public static void LoadStrict(nn.Module module, IReadOnlyDictionary<string, Tensor> source, string origin)
    {
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var mismatched = target.Keys.Where(source.ContainsKey)
            .Where(k => !target[k].shape.SequenceEqual(source[k].shape))
            .Select(k => $"{k} {Shape(source[k])} vs model {Shape(target[k])}")
            .ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {Summarize(missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {Summarize(unexpected)}");
            if (mismatched.Count > 0) parts.Add($"shape mismatch {Summarize(mismatched)}");
            throw new CheckpointException(
                $"{origin}: does not fit this model (a different architecture or config?): {string.Join("; ", parts)}");
        }
        using var noGrad = no_grad();
        foreach (var (key, tensor) in target)
            tensor.copy_(source[key]);
    }

    private static string Shape(Tensor t) => $"({string.Join(",", t.shape)})";

    private static string Summarize(List<string> items) =>
        items.Count <= 4 ? string.Join(", ", items) : $"{string.Join(", ", items.Take(4))} and {items.Count - 4} more";
}
