using System.Collections;
using SimMim.IO;
using TorchSharp;
using TorchSharp.Modules;
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
/// <param name="EpochOnly">The checkpoint records where the run stands by its epoch alone, as the reference's own
/// main_simmim.py / main_finetune.py files do (their lr_scheduler holds no step count): GlobalStep and
/// LastScheduleUpdate are unknown until <see cref="AtEndOfEpoch"/> supplies the run's epoch length.</param>
public sealed record TrainingState(int Epoch, long GlobalStep, long LastScheduleUpdate, string ConfigYaml, double MaxAccuracy = 0,
    int StepInEpoch = 0, double EpochLossSum = 0, int EpochLossCount = 0, bool EpochOnly = false)
{
    /// <summary>
    /// An <see cref="EpochOnly"/> state placed at the end of its epoch with <paramref name="stepsPerEpoch"/> loader
    /// iterations per epoch: the reference's scheduler was last updated at k = (Epoch + 1)·n − 1 (spec §4.4), so the
    /// lr schedule, a pure function of the step, continues where it left off. Other states are returned unchanged.
    /// </summary>
    public TrainingState AtEndOfEpoch(int stepsPerEpoch)
    {
        if (!EpochOnly) return this;
        long steps = (Epoch + 1L) * stepsPerEpoch;
        return this with { GlobalStep = steps, LastScheduleUpdate = steps - 1, EpochOnly = false };
    }
}

/// <summary>
/// Reads and writes training checkpoints as PyTorch zip files (torch.load opens them) with the reference's layout:
/// a dict with 'model', 'optimizer', 'lr_scheduler', 'max_accuracy', 'epoch' and 'config' (a YAML string instead of
/// a pickled yacs object), plus 'rng_state' for the torch generator and the position within an epoch ('global_step',
/// 'step_in_epoch', 'epoch_loss_sum', 'epoch_loss_count'). Files are written with <see cref="TorchFile"/>, so
/// PyTorch loads them with weights_only=True (floats such as 'max_accuracy' and the optimizer's lr are 0-d float64
/// tensors there), and read with its safe reader. Writes are atomic (see <see cref="AtomicFile"/>).
/// Checkpoints written by the reference's own scripts are read too: their pickled yacs config stays an opaque
/// <see cref="PickledObject"/>, their timm scheduler state is not needed (our schedule is a function of the step),
/// and their position is the epoch alone (<see cref="TrainingState.EpochOnly"/>).
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
            ["optimizer"] = OptimizerStateDict.From(optimizer),
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
    /// <exception cref="CheckpointException">The weights or the optimizer state do not fit (another architecture or
    /// config), or a position entry is not a number.</exception>
    public static TrainingState Apply(IDictionary checkpoint, string path, nn.Module model, OptimizerHelper? optimizer)
    {
        try
        {
            // Read the position first: a malformed entry must fail before the model or optimizer is touched.
            // The reference's files have no global_step: their position is the epoch (TrainingState.EpochOnly).
            bool epochOnly = checkpoint["global_step"] is null;
            long lastUpdate = checkpoint["lr_scheduler"] is IDictionary scheduler && scheduler["last_step"] is { } last
                ? Integer(last, "lr_scheduler.last_step", path) : -1;
            var state = new TrainingState(
                (int)Integer(checkpoint["epoch"], "epoch", path, int.MaxValue),
                Integer(checkpoint["global_step"] ?? 0L, "global_step", path),
                lastUpdate,
                checkpoint["config"] as string ?? "",
                Double(checkpoint["max_accuracy"]),
                (int)Integer(checkpoint["step_in_epoch"] ?? 0L, "step_in_epoch", path, int.MaxValue),
                Double(checkpoint["epoch_loss_sum"]),
                (int)Integer(checkpoint["epoch_loss_count"] ?? 0L, "epoch_loss_count", path, int.MaxValue),
                epochOnly);
            StateDicts.LoadStrict(model, TorchFile.StateDict(checkpoint, path), path);
            if (optimizer is not null && checkpoint["optimizer"] is IDictionary optimizerState)
                OptimizerStateDict.Restore(optimizer, optimizerState, path);
            if (checkpoint["rng_state"] is Tensor rng)
                random.set_rng_state(rng);
            return state;
        }
        finally
        {
            TorchFile.DisposeTensors(checkpoint);
        }
    }

    /// <summary>Loads only the weights: from a training checkpoint ('model' entry), a plain state dict or a safetensors file.</summary>
    public static void LoadWeights(string path, nn.Module model)
    {
        object? checkpoint = WeightFile.Load(path);
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

    // Floats are written as 0-d float64 tensors (PyTorch's weights-only loader has no float opcode); the reference's
    // files have Python floats.
    private static double Double(object? value) => value switch
    {
        Tensor { NumberOfElements: 1 } t => t.to_type(ScalarType.Float64).item<double>(),
        double d => d,
        long l => l,
        _ => 0,
    };

    /// <summary>An integer entry (a Python int, or a one-element tensor) within [-1, <paramref name="max"/>].</summary>
    private static long Integer(object? value, string key, string path, long max = long.MaxValue)
    {
        long? number = value switch
        {
            long l => l,
            bool b => b ? 1 : 0,
            Tensor { NumberOfElements: 1 } t when !is_floating_point(t) => t.to_type(ScalarType.Int64).item<long>(),
            _ => null,
        };
        return number is long n && n >= -1 && n <= max ? n
            : throw new CheckpointException($"{path}: '{key}' is not an integer in [-1, {max}] ({CheckpointSummary.Describe(value)})");
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
}
