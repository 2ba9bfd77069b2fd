using SimMim.IO;
using SimMim.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>What <see cref="PretrainedLoader"/> did, key by key (names relative to the encoder).</summary>
/// <param name="Loaded">Model keys given a value from the checkpoint.</param>
/// <param name="Missing">Model keys the checkpoint has no value for (left as initialised), e.g. the head.
/// Buffers the model recomputes from its geometry (relative_position_index, attn_mask) are not listed.</param>
/// <param name="Unexpected">Checkpoint keys (after remapping) the model has no place for, e.g. mask_token; sorted
/// ordinally (an unpickled dict has no order). Loaded and Missing follow the model's state-dict order.</param>
/// <param name="Interpolated">Relative position tables resized to the model's window or patch grid.</param>
public sealed record LoadResult(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected, IReadOnlyList<string> Interpolated);

/// <summary>
/// The reference's <c>load_pretrained</c> (spec §6.3): initialises a fine-tune encoder from a pretraining checkpoint.
/// Strips <c>encoder.</c> (dropping the decoder), copies the ViT's shared relative position table into every block
/// that has its own, resizes relative position tables whose window or grid changed, never copies the recomputed
/// buffers, and loads non-strictly — but reports what was missing or unexpected instead of hiding it.
/// </summary>
public static class PretrainedLoader
{
    private const string EncoderPrefix = "encoder.";
    private const string TableSuffix = "relative_position_bias_table";

    /// <summary>
    /// Reads a training checkpoint (its 'model' entry), a plain state dict or a <c>.safetensors</c> file (the reference's
    /// key layout, or Hugging Face's as <c>simmim convert</c> writes it) and loads it into <paramref name="encoder"/>.
    /// </summary>
    /// <exception cref="CheckpointException">Unreadable file, or a tensor whose shape does not fit (the key is named).</exception>
    public static LoadResult LoadPretrained(string path, MaskedImageEncoder encoder)
    {
        object? checkpoint = WeightFile.Load(path, "pretrained checkpoint");
        try
        {
            var state = TorchFile.StateDict(checkpoint, path);
            if (CheckpointLayouts.Detect(state) is not (CheckpointLayout.HuggingFaceSwin or CheckpointLayout.HuggingFaceBeit))
                return LoadPretrained(state, encoder, path);
            // The tensors the conversion makes (joined q/k/v, Swin's shift masks) are freed with this scope.
            using var scope = NewDisposeScope();
            return LoadPretrained(HuggingFaceKeys.ToReference(state, path, encoder.ImgSize), encoder, path);
        }
        finally
        {
            TorchFile.DisposeTensors(checkpoint);
        }
    }

    /// <summary>Loads an in-memory state dict; <paramref name="origin"/> names it in error messages. The caller keeps ownership of the tensors.</summary>
    public static LoadResult LoadPretrained(IReadOnlyDictionary<string, Tensor> checkpoint, MaskedImageEncoder encoder, string origin)
    {
        using var scope = NewDisposeScope();
        var family = EncoderRegistry.Of(encoder);
        var target = encoder.state_dict();
        var source = StripEncoderPrefix(checkpoint);

        // Shared → per-block table, only when the checkpoint has one and the model wants per-block tables (fixes #29).
        var blockTables = target.Keys.Where(family.IsBlockRelPosTable).ToList();
        if (family.SharedRelPosTable is string sharedTable && blockTables.Count > 0 && !target.ContainsKey(sharedTable)
            && source.Remove(sharedTable, out var shared))
        {
            foreach (string key in blockTables)
                source[key] = shared;
        }

        // The model recomputes these from its own geometry (spec §6.3 steps 3–4).
        foreach (string key in source.Keys.Where(IsRecomputed).ToList())
            source.Remove(key);

        var interpolated = new List<string>();
        var mismatched = new List<string>();
        foreach (string key in source.Keys.ToList())
        {
            if (!target.TryGetValue(key, out var dst) || source[key].shape.SequenceEqual(dst.shape))
                continue;
            if (key.EndsWith(TableSuffix, StringComparison.Ordinal) && source[key].dim() == 2 && dst.dim() == 2
                && source[key].shape[1] == dst.shape[1])
            {
                source[key] = ResizeTable(source[key], dst, family.TableExtraTokens, key, origin);
                interpolated.Add(key);
            }
            else
            {
                mismatched.Add($"{key} {Shape(source[key])} vs model {Shape(dst)}");
            }
        }
        if (mismatched.Count > 0)
        {
            throw new CheckpointException(
                $"{origin}: does not fit this model (a different architecture or config?): shape mismatch {string.Join(", ", mismatched)}");
        }

        var loaded = target.Keys.Where(source.ContainsKey).ToList();
        var missing = target.Keys.Where(k => !source.ContainsKey(k) && !IsRecomputed(k)).ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        using (no_grad())
        {
            foreach (string key in loaded)
                target[key].copy_(source[key]);
        }
        return new LoadResult(loaded, missing, unexpected, interpolated);
    }

    /// <summary>Buffers never taken from a checkpoint: relative position indices and Swin's shift masks.</summary>
    public static bool IsRecomputed(string key) =>
        key.Contains("relative_position_index", StringComparison.Ordinal)
        || key.Contains("relative_coords_table", StringComparison.Ordinal)
        || key.Contains("attn_mask", StringComparison.Ordinal);

    // If any key is an encoder key, keep only those, without the prefix (drops decoder.*); else pass through.
    private static Dictionary<string, Tensor> StripEncoderPrefix(IReadOnlyDictionary<string, Tensor> checkpoint)
    {
        bool wrapped = checkpoint.Keys.Any(k => k.Contains(EncoderPrefix, StringComparison.Ordinal));
        var result = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in checkpoint)
        {
            if (!wrapped)
                result[key] = tensor;
            else if (key.StartsWith(EncoderPrefix, StringComparison.Ordinal))
                result[key[EncoderPrefix.Length..]] = tensor;
        }
        return result;
    }

    private static Tensor ResizeTable(Tensor table, Tensor dst, int extraTokens, string key, string origin)
    {
        long srcRows = table.shape[0], dstRows = dst.shape[0], heads = table.shape[1];
        int srcSide = SquareSide(srcRows - extraTokens), dstSide = SquareSide(dstRows - extraTokens);
        if (srcSide < 0 || dstSide < 0 || srcSide % 2 == 0 || dstSide % 2 == 0 || srcSide < 3)
        {
            // The reference raises NotImplementedError for non-square grids (#19); a row count alone cannot tell
            // a (2h−1)×(2w−1) grid's sides apart, so a non-square source is refused with the reason.
            throw new CheckpointException(
                $"{origin}: {key} has {srcRows} rows, the model {dstRows}; only tables of a square window or patch grid " +
                $"((2w−1)²{(extraTokens > 0 ? $" + {extraTokens}" : "")} rows) can be resized");
        }
        var values = table.to_type(ScalarType.Float32).contiguous();
        var grid = values[..(int)(srcRows - extraTokens)].contiguous().data<float>().ToArray();
        var resized = RelativePositionInterpolation.Interpolate(srcSide, dstSide, grid, (int)heads);
        var result = tensor(resized, [dstSide * dstSide, heads]);
        // ViT: the cls rows are the table's last rows and are kept as they are.
        return extraTokens > 0 ? cat([result, values[(int)(srcRows - extraTokens)..]], 0) : result;
    }

    private static int SquareSide(long n)
    {
        if (n <= 0) return -1;
        long s = (long)Math.Round(Math.Sqrt(n));
        return s * s == n ? (int)s : -1;
    }

    private static string Shape(Tensor t) => $"({string.Join(",", t.shape)})";
}
