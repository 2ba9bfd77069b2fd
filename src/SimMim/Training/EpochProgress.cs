using SimMim.Checkpoints;
using SimMim.Data;

namespace SimMim.Training;

/// <summary>
/// Where a training loop stands and what it does after each loader iteration, the same for pretraining and
/// fine-tuning: count the step and its loss, report skipped non-finite steps (<see cref="NonFiniteGuard"/>) and
/// unreadable images, and write a mid-epoch checkpoint every SAVE_STEPS or where a cancelled run stops. A resumed
/// run starts its first epoch at the checkpoint's step with the loss sum so far, so the epoch's mean comes out the same.
/// </summary>
internal sealed class EpochProgress(RunCheckpoints checkpoints, NonFiniteGuard guard, StepMeter meter, TrainStep trainStep,
    RunLog log, ITrainingObserver observer, RunPosition start, int stepsPerEpoch, string configYaml)
{
    private double _lossSum;
    private int _lossCount;

    /// <summary>Loader iterations done in the current epoch.</summary>
    public int Step { get; private set; }

    /// <summary>Loader iterations done over the run.</summary>
    public long GlobalStep { get; private set; } = start.GlobalStep;

    /// <summary>Mean of the epoch's finite losses (NaN when there were none).</summary>
    public double MeanLoss => _lossCount > 0 ? _lossSum / _lossCount : double.NaN;

    /// <summary>Whether the current epoch has had all its steps.</summary>
    public bool EpochDone => Step >= stepsPerEpoch;

    /// <summary>Starts <paramref name="epoch"/>: at step 0, or where the checkpoint resumed from was taken.</summary>
    public void StartEpoch(int epoch)
    {
        bool resumedInside = epoch == start.StartEpoch;
        Step = resumedInside ? start.StepInEpoch : 0;
        _lossSum = resumedInside ? start.EpochLossSum : 0;
        _lossCount = resumedInside ? start.EpochLossCount : 0;
        meter.StartEpoch();
    }

    /// <summary>
    /// The loader's <paramref name="batches"/> for the rest of the epoch: it ends after the epoch's last step (an epoch
    /// cut short, --steps-per-epoch) and disposes the batch it does not hand out.
    /// </summary>
    public IEnumerable<T> Remaining<T>(IEnumerable<T> batches) where T : IDisposable
    {
        foreach (T batch in batches)
        {
            if (EpochDone)
            {
                batch.Dispose();
                yield break;
            }
            yield return batch;
        }
    }

    /// <summary>
    /// Records the loader iteration just run (its <paramref name="loss"/>; what it did is <see cref="TrainStep.LastOutcome"/>).
    /// Between optimizer steps, writes a mid-epoch checkpoint when one is due or the run is cancelled.
    /// </summary>
    /// <returns>True when the run was cancelled: it has saved here and must stop.</returns>
    /// <exception cref="SimMimUserException">Too many non-finite steps in a row.</exception>
    public bool AfterStep(int epoch, double loss, SkippedSamples skipped, double maxAccuracy, CancellationToken cancellation)
    {
        Warn(guard.Observe(trainStep.LastOutcome, epoch, Step + 1, loss, trainStep.LastGradNorm, checkpoints.LastGood));
        if (double.IsFinite(loss))
        {
            _lossSum += loss;
            _lossCount++;
        }
        Step++;
        GlobalStep++;
        meter.Step(epoch, Step, GlobalStep, loss, trainStep.LastLr, trainStep.LastGradNorm);
        foreach (string line in skipped.TakeWarnings()) Warn(line);

        // Never inside an accumulation window; the epoch's last step is saved by EndEpoch, after the epoch's extras.
        if (trainStep.LastOutcome == StepOutcome.Accumulating || EpochDone) return false;
        bool stop = cancellation.IsCancellationRequested;
        if (stop || (checkpoints.MidEpochDue(GlobalStep) && trainStep.LastOutcome == StepOutcome.Stepped))
        {
            checkpoints.Save(new TrainingState(epoch - 1, GlobalStep, trainStep.LastScheduleUpdate, configYaml, maxAccuracy,
                StepInEpoch: Step, EpochLossSum: _lossSum, EpochLossCount: _lossCount));
        }
        return stop;
    }

    /// <summary>
    /// Ends <paramref name="epoch"/>: reports how many samples were stood in for, and writes the epoch's checkpoint when
    /// SAVE_FREQ asks for one, at the last epoch, or when the run is cancelled.
    /// </summary>
    /// <returns>The checkpoint written, or null (none due, or the write failed and was reported).</returns>
    public string? EndEpoch(int epoch, SkippedSamples skipped, double maxAccuracy, bool cancelled)
    {
        foreach (string line in skipped.TakeWarnings()) Warn(line);
        if (skipped.TakeStandInCount() is var standIns and > 0)
            Warn($"epoch {epoch}: {standIns} samples stood in for unreadable images ({skipped.BadCount} unreadable files so far)");
        return checkpoints.EpochEndDue(epoch) || cancelled
            ? checkpoints.Save(new TrainingState(epoch, GlobalStep, trainStep.LastScheduleUpdate, configYaml, maxAccuracy))
            : null;
    }

    /// <summary>The end of an epoch's log line: non-finite steps skipped so far, when there were any.</summary>
    public string SkippedSummary => guard.Total > 0 ? $", {guard.Total} non-finite steps skipped so far" : "";

    /// <summary>
    /// How the run ends: interrupted runs log where they stopped; a run whose last checkpoint write failed fails
    /// with that message, unless it was interrupted (the caller then reports the failure with the interruption).
    /// </summary>
    /// <exception cref="SimMimUserException">The final checkpoint could not be written.</exception>
    public void Finish(bool interrupted)
    {
        if (interrupted)
            log.Write($"interrupted at step {GlobalStep}; checkpoint {checkpoints.LastGood ?? "(none)"}");
        else if (checkpoints.LastFailure is { } failure)
            throw new SimMimUserException($"training finished, but {failure}");
    }

    public void Warn(string? line)
    {
        if (line is null) return;
        log.Write(line);
        observer.Warning(line);
    }
}
