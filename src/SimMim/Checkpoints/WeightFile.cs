using SimMim.IO;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>A weights file chosen by extension: <c>.safetensors</c>, or a torch.save file (<c>.pth</c>, <c>.pt</c>, <c>.bin</c>, <c>.ckpt</c>).</summary>
public static class WeightFile
{
    private static readonly string[] TorchExtensions = [".pth", ".pt", ".bin", ".ckpt"];

    public static bool IsSafetensors(string path) => Path.GetExtension(path).Equals(".safetensors", StringComparison.OrdinalIgnoreCase);

    /// <summary>Throws a <see cref="CheckpointException"/> unless the extension names a format we write.</summary>
    public static void RequireKnownExtension(string path)
    {
        if (!IsSafetensors(path) && !TorchExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase))
            throw new CheckpointException($"{path}: unknown extension (expected .pth, .pt, .bin, .ckpt or .safetensors)");
    }

    /// <summary>The whole file: for safetensors its tensors as a dict, for torch.save files what <see cref="TorchFile.Load(string)"/> gives.</summary>
    /// <exception cref="CheckpointException">Missing, a folder, corrupt or unsupported; the message names it.</exception>
    /// <param name="path">The file.</param>
    /// <param name="what">What it is for, as a missing-file message names it.</param>
    public static object? Load(string path, string what = "checkpoint")
    {
        UserPaths.RequireFile(path, what, InputKind.Checkpoint);
        return IsSafetensors(path) ? SafetensorsFile.Load(path) : TorchFile.Load(path);
    }

    /// <summary>
    /// Writes a state dict. A torch.save file gets <c>{'model': state}</c> when <paramref name="wrapInModel"/> (what the
    /// reference's loaders read) and the bare OrderedDict otherwise (what transformers' pytorch_model.bin holds);
    /// safetensors gets the tensors with metadata format=pt, as transformers expects.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> state, bool wrapInModel)
    {
        RequireKnownExtension(path);
        if (IsSafetensors(path))
        {
            SafetensorsFile.Save(path, state, new Dictionary<string, string> { ["format"] = "pt" });
            return;
        }
        object value = wrapInModel ? new Dictionary<string, object?> { ["model"] = state } : state;
        UserPaths.ReplaceAtomically(path, "weights file", stream => TorchFile.Save(stream, value, Path.GetFileNameWithoutExtension(path)));
    }
}
