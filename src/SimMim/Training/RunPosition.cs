using System.Collections;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.IO;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>
/// The first epoch to run, the loader iterations already done, the best accuracy so far, the checkpoint resumed from,
/// and for a mid-epoch checkpoint the steps of StartEpoch already done with the sum and count of their losses.
/// </summary>
internal sealed record RunPosition(int StartEpoch, long GlobalStep, double MaxAccuracy, string? ResumedFrom,
    int StepInEpoch = 0, double EpochLossSum = 0, int EpochLossCount = 0)
{
    /// <summary>The explicit checkpoint to resume from (--resume, else MODEL.RESUME), which must exist; null when none is given.</summary>
    /// <exception cref="CheckpointException">The explicit checkpoint does not exist.</exception>
    public static string? ExplicitResumePath(string? resumePath, SimMimConfig config)
    {
        string? explicitPath = resumePath is { Length: > 0 } p ? p
            : config.Model.Resume is { Length: > 0 } r ? r : null;
        if (explicitPath is not null)
            UserPaths.RequireFile(explicitPath, "checkpoint to resume from", InputKind.Checkpoint);
        return explicitPath;
    }

    /// <summary>
    /// Where a run starts: after an explicit checkpoint (<see cref="ExplicitResumePath"/>), else, with
    /// TRAIN.AUTO_RESUME, after the newest checkpoint in <paramref name="checkpointDir"/> that reads back intact (unreadable ones
    /// are skipped and reported), else at TRAIN.START_EPOCH. Weights, optimizer, schedule position, the step within
    /// the epoch and the best accuracy are restored. A checkpoint of the reference's own scripts records only its
    /// epoch: the run starts at epoch + 1 as the reference's does, at step (epoch + 1)·<paramref name="stepsPerEpoch"/>.
    /// </summary>
    /// <exception cref="CheckpointException">The explicit checkpoint is unusable, or a checkpoint does not fit the
    /// model (a different architecture: resuming past it would overwrite it).</exception>
    public static RunPosition Restore(string? explicitPath, TrainConfig train, string checkpointDir, nn.Module model,
        OptimizerHelper optimizer, TrainStep trainStep, int stepsPerEpoch, RunReporter reporter)
    {
        if (explicitPath is not null)
            return Resumed(explicitPath, TrainingCheckpoint.Read(explicitPath));
        if (!train.AutoResume)
            return Fresh();
        foreach (string candidate in CheckpointFiles.NewestFirst(checkpointDir))
        {
            IDictionary checkpoint;
            try
            {
                checkpoint = TrainingCheckpoint.Read(candidate);
            }
            catch (CheckpointException e)
            {
                reporter.Warning($"auto-resume: skipped {e.Message}");
                continue;
            }
            return Resumed(candidate, checkpoint);
        }
        return Fresh();

        RunPosition Fresh() => new(train.StartEpoch, 0, 0, null);

        RunPosition Resumed(string path, IDictionary checkpoint)
        {
            var applied = TrainingCheckpoint.Apply(checkpoint, path, model, optimizer);
            var state = applied.AtEndOfEpoch(stepsPerEpoch);
            trainStep.RestoreSchedule(state.LastScheduleUpdate);
            string where = state.StepInEpoch == 0 ? $"after epoch {state.Epoch}" : $"epoch {state.Epoch + 1} at step {state.StepInEpoch}";
            string derived = applied.EpochOnly ? $" = (epoch + 1) × {stepsPerEpoch} steps: the file records only its epoch" : "";
            reporter.Log($"resumed from {path} ({where}, global step {state.GlobalStep}{derived}, max accuracy {state.MaxAccuracy:F2} %)");
            return new RunPosition(state.Epoch + 1, state.GlobalStep, state.MaxAccuracy, path, state.StepInEpoch,
                state.EpochLossSum, state.EpochLossCount);
        }
    }
}

