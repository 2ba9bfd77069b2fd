using System.Collections;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>Where a run stands: what a resumed run needs besides the weights and the optimizer.</summary>
/// <param name="Epoch">The last completed epoch (0-based), as the reference stores it.</param>
/// <param name="GlobalStep">Loader iterations done so far over the whole run.</param>
/// <param name="LastScheduleUpdate">The iteration at which the lr schedule was last updated (-1 before any).</param>
/// <param name="ConfigYaml">The resolved run config, so a checkpoint says how it was made.</param>
/// <param name="MaxAccuracy">Best top-1 (percent) seen so far by a fine-tuning run; 0 for pretraining.</param>
public sealed record TrainingState(int Epoch, long GlobalStep, long LastScheduleUpdate, string ConfigYaml, double MaxAccuracy = 0);

/// <summary>
/// Reads and writes training checkpoints as PyTorch zip files (torch.load opens them) with the reference's layout:
/// a dict with 'model', 'optimizer', 'lr_scheduler', 'max_accuracy', 'epoch' and 'config' (a YAML string instead of
/// a pickled yacs object), plus 'rng_state' for the torch generator. Writes are atomic (see <see cref="AtomicFile"/>).
/// </summary>
public static class TrainingCheckpoint
{
    public const string FilePrefix = "ckpt_epoch_";

    public static string FileName(int epoch) => $"{FilePrefix}{epoch}.pth";

    public static void Save(string path, nn.Module model, OptimizerHelper optimizer, TrainingState state)
    {
        using var scope = NewDisposeScope();
        var modelState = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in model.state_dict())
            modelState[key] = tensor.detach().cpu().contiguous(); // PyBridge writes contiguous storage only

        var checkpoint = new Dictionary<string, object>
        {
            ["model"] = modelState,
            ["optimizer"] = OptimizerToDictionary(optimizer),
            ["lr_scheduler"] = new Dictionary<string, object> { ["last_step"] = state.LastScheduleUpdate },
            ["max_accuracy"] = state.MaxAccuracy,
            ["epoch"] = state.Epoch,
            ["global_step"] = state.GlobalStep,
            ["config"] = state.ConfigYaml,
            ["rng_state"] = random.get_rng_state(),
        };
        AtomicFile.Write(path, stream => PyTorchPickler.PickleStateDict(stream, checkpoint, leaveOpen: true));
    }

    /// <summary>Loads model weights (strictly) and, when given, optimizer state; returns the run position.</summary>
    public static TrainingState Load(string path, nn.Module model, OptimizerHelper? optimizer)
    {
        Hashtable checkpoint = Read(path);
        try
        {
            StateDicts.LoadStrict(model, ModelState(checkpoint, path), path);
            // No dispose scope here: the optimizer keeps the tensors load_py makes as its new state.
            if (optimizer is not null && checkpoint["optimizer"] is IDictionary optimizerState)
            {
                using var buffer = new MemoryStream();
                PyTorchPickler.PickleStateDict(buffer, optimizerState, leaveOpen: true);
                buffer.Position = 0;
                optimizer.load_py(buffer);
            }
            if (checkpoint["rng_state"] is Tensor rng)
                random.set_rng_state(rng);
            long lastUpdate = checkpoint["lr_scheduler"] is IDictionary scheduler && scheduler["last_step"] is { } last
                ? Convert.ToInt64(last) : -1;
            return new TrainingState(
                Convert.ToInt32(checkpoint["epoch"] ?? -1),
                Convert.ToInt64(checkpoint["global_step"] ?? 0L),
                lastUpdate,
                checkpoint["config"] as string ?? "",
                checkpoint["max_accuracy"] is { } best ? Convert.ToDouble(best) : 0);
        }
        finally
        {
            DisposeTensors(checkpoint);
        }
    }

    /// <summary>Loads only the weights: from a training checkpoint ('model' entry) or a plain state dict.</summary>
    public static void LoadWeights(string path, nn.Module model)
    {
        Hashtable checkpoint = Read(path);
        try
        {
            StateDicts.LoadStrict(model, ModelState(checkpoint, path), path);
        }
        finally
        {
            DisposeTensors(checkpoint);
        }
    }

    /// <summary>The checkpoint of the highest epoch in <paramref name="directory"/>, or null when there is none.</summary>
    public static string? FindLatest(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        return Directory.EnumerateFiles(directory, $"{FilePrefix}*.pth")
            .Select(path => (path, epoch: int.TryParse(Path.GetFileNameWithoutExtension(path)[FilePrefix.Length..], out int e) ? e : -1))
            .Where(c => c.epoch >= 0)
            .OrderByDescending(c => c.epoch)
            .Select(c => c.path)
            .FirstOrDefault();
    }

    internal static Hashtable Read(string path)
    {
        if (!File.Exists(path))
            throw new CheckpointException($"{path}: checkpoint not found");
        try
        {
            return PyTorchUnpickler.UnpickleStateDict(path);
        }
        // The unpickler is third-party code parsing untrusted bytes: whatever it throws means "not a checkpoint".
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CheckpointException($"{path}: not a readable PyTorch checkpoint ({e.Message})", e);
        }
    }

    /// <summary>Frees the native memory of every tensor in an unpickled checkpoint once it has been copied out.</summary>
    internal static void DisposeTensors(object? value)
    {
        switch (value)
        {
            case Tensor tensor:
                tensor.Dispose();
                break;
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary) DisposeTensors(entry.Value);
                break;
            case IList list:
                foreach (object? item in list) DisposeTensors(item);
                break;
        }
    }

    /// <summary>The 'model' entry of a training checkpoint, or the whole file when it is a plain state dict.</summary>
    internal static Dictionary<string, Tensor> ModelState(Hashtable checkpoint, string path)
    {
        IDictionary source = checkpoint["model"] as IDictionary ?? checkpoint;
        var state = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in source)
            if (entry.Key is string key && entry.Value is Tensor tensor)
                state[key] = tensor;
        if (state.Count == 0)
            throw new CheckpointException($"{path}: holds no model weights");
        return state;
    }

    // PyBridge writes an optimizer's state in PyTorch's layout to a stream; reading that back gives the nested
    // dictionary we embed under 'optimizer', so the whole checkpoint is one torch.save-compatible file.
    private static Hashtable OptimizerToDictionary(OptimizerHelper optimizer)
    {
        using var buffer = new MemoryStream();
        optimizer.save_py(buffer, leaveOpen: true);
        buffer.Position = 0;
        return PyTorchUnpickler.UnpickleStateDict(buffer);
    }
}
