using System.Collections;
using SimMim.IO;
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
/// <param name="StepInEpoch">Steps already done of epoch <c>Epoch + 1</c> (a mid-epoch checkpoint); 0 at an epoch end.</param>
/// <param name="EpochLossSum">Sum of the finite losses of those steps, so the epoch's mean survives a resume.</param>
/// <param name="EpochLossCount">How many losses that sum holds.</param>
public sealed record TrainingState(int Epoch, long GlobalStep, long LastScheduleUpdate, string ConfigYaml, double MaxAccuracy = 0,
    int StepInEpoch = 0, double EpochLossSum = 0, int EpochLossCount = 0);

/// <summary>
/// Reads and writes training checkpoints as PyTorch zip files (torch.load opens them) with the reference's layout:
/// a dict with 'model', 'optimizer', 'lr_scheduler', 'max_accuracy', 'epoch' and 'config' (a YAML string instead of
/// a pickled yacs object), plus 'rng_state' for the torch generator and the position within an epoch ('global_step',
/// 'step_in_epoch', 'epoch_loss_sum', 'epoch_loss_count'). Files are written with <see cref="TorchFile"/>, so
/// PyTorch loads them with weights_only=True (floats such as 'max_accuracy' and the optimizer's lr are 0-d float64
/// tensors there), and read with its safe reader. Writes are atomic (see <see cref="AtomicFile"/>).
/// </summary>
public static class TrainingCheckpoint
{
    public const string FilePrefix = CheckpointFiles.Prefix;

    public static string FileName(int epoch) => CheckpointFiles.EpochEnd(epoch);

    /// <exception cref="OutputException">The file cannot be written; a previous file of that name is untouched.</exception>
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
            ["step_in_epoch"] = state.StepInEpoch,
            ["epoch_loss_sum"] = state.EpochLossSum,
            ["epoch_loss_count"] = state.EpochLossCount,
            ["config"] = state.ConfigYaml,
            ["rng_state"] = random.get_rng_state(),
        };
        UserPaths.ReplaceAtomically(path, "checkpoint", stream => TorchFile.Save(stream, checkpoint, Path.GetFileNameWithoutExtension(path)));
        // PyBridge's unpickler makes these outside any dispose scope; free them now rather than at some later GC.
        TorchFile.DisposeTensors(checkpoint["optimizer"]);
        ReleaseSerializationBuffers();
    }

    /// <summary>Loads model weights (strictly) and, when given, optimizer state; returns the run position.</summary>
    /// <exception cref="CheckpointException">The file is missing, corrupt, not a training checkpoint, or does not fit the model.</exception>
    public static TrainingState Load(string path, nn.Module model, OptimizerHelper? optimizer) =>
        Apply(Read(path), path, model, optimizer);

    /// <summary>
    /// Reads a training checkpoint and checks that it is one (a dict with 'model' weights and an 'epoch'), without
    /// touching any model: a failure here means the file is unusable, not that it belongs to another architecture.
    /// </summary>
    /// <exception cref="CheckpointException">Missing, corrupt (including a checksum mismatch) or not a training checkpoint.</exception>
    public static IDictionary Read(string path)
    {
        UserPaths.RequireFile(path, "checkpoint", InputKind.Checkpoint);
        IDictionary checkpoint = TorchFile.Load(path) as IDictionary
            ?? throw new CheckpointException($"{path}: not a training checkpoint (no dict at the top)");
        if (checkpoint["model"] is not IDictionary || checkpoint["epoch"] is null)
        {
            TorchFile.DisposeTensors(checkpoint);
            throw new CheckpointException($"{path}: not a training checkpoint (no 'model' weights or no 'epoch')");
        }
        return checkpoint;
    }

    /// <summary>Loads what <see cref="Read"/> returned into the model (strictly) and optimizer; frees its tensors.</summary>
    /// <exception cref="CheckpointException">The weights do not fit the model (another architecture or config).</exception>
    public static TrainingState Apply(IDictionary checkpoint, string path, nn.Module model, OptimizerHelper? optimizer)
    {
        try
        {
            StateDicts.LoadStrict(model, TorchFile.StateDict(checkpoint, path), path);
            // No dispose scope here: the optimizer keeps the tensors load_py makes as its new state.
            if (optimizer is not null && checkpoint["optimizer"] is IDictionary optimizerState)
            {
                using var buffer = new MemoryStream();
                PyTorchPickler.PickleStateDict(buffer, FloatsFromTensors(optimizerState), leaveOpen: true);
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
                Double(checkpoint["max_accuracy"]),
                Convert.ToInt32(checkpoint["step_in_epoch"] ?? 0),
                Double(checkpoint["epoch_loss_sum"]),
                Convert.ToInt32(checkpoint["epoch_loss_count"] ?? 0));
        }
        finally
        {
            TorchFile.DisposeTensors(checkpoint);
        }
    }

    /// <summary>Loads only the weights: from a training checkpoint ('model' entry) or a plain state dict.</summary>
    public static void LoadWeights(string path, nn.Module model)
    {
        UserPaths.RequireFile(path, "checkpoint", InputKind.Checkpoint);
        object? checkpoint = TorchFile.Load(path);
        try
        {
            StateDicts.LoadStrict(model, TorchFile.StateDict(checkpoint, path), path);
        }
        finally
        {
            TorchFile.DisposeTensors(checkpoint);
        }
    }

    /// <summary>The newest checkpoint in <paramref name="directory"/> (see <see cref="CheckpointFiles"/>), or null when there is none.</summary>
    public static string? FindLatest(string directory) => CheckpointFiles.NewestFirst(directory).FirstOrDefault();

    // Floats are written as 0-d float64 tensors (PyTorch's weights-only loader has no float opcode).
    private static double Double(object? value) => value switch
    {
        Tensor t => t.item<double>(),
        IConvertible c => c.ToDouble(null),
        _ => 0,
    };

    /// <summary>
    /// Param-group hyper-parameters (lr, betas, eps, weight_decay) come back as 0-d float64 tensors (see
    /// <see cref="TorchFile"/>); PyBridge's optimizer loader wants doubles.
    /// </summary>
    private static IDictionary FloatsFromTensors(IDictionary optimizerState)
    {
        if (optimizerState["param_groups"] is IList groups)
        {
            foreach (IDictionary group in groups.OfType<IDictionary>())
            {
                foreach (object key in group.Keys.Cast<object>().ToList())
                    group[key] = ToDouble(group[key]);
            }
        }
        return optimizerState;

        static object? ToDouble(object? value) => value switch
        {
            Tensor { dtype: ScalarType.Float64, Dimensions: 0 } t => t.item<double>(),
            object?[] tuple => tuple.Select(ToDouble).ToArray(),
            _ => value,
        };
    }

    // Serialising the optimizer state goes through large managed buffers (a MemoryStream that doubles up to twice the
    // parameter bytes, and the unpickled arrays). The GC would reclaim them only at some later gen-2 collection, and
    // until then the process's RSS steps up at each checkpoint. One compacting collection per checkpoint (seconds
    // apart at the least) returns them at once.
    private static void ReleaseSerializationBuffers()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect();
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
