using System.Diagnostics;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Distributed;
using SimMim.Finetune;
using SimMim.IO;
using SimMim.Models.Layers;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>How a run is driven, besides its task.</summary>
/// <param name="Config">The run's configuration (TRAIN.*, SEED, SAVE_*, PRINT_FREQ, DATA.BATCH_SIZE, output folder).</param>
/// <param name="Run">The values derived from it: output folder, scaled lr.</param>
/// <param name="Group">The data-parallel processes this one belongs to.</param>
/// <param name="Observers">Progress; only rank 0's are called.</param>
/// <param name="ResumePath">An explicit checkpoint to resume from; otherwise the newest one of the checkpoint folder
/// with TRAIN.AUTO_RESUME.</param>
/// <param name="Accumulation">Loader iterations per optimizer step.</param>
/// <param name="Precision">fp32 or bf16 (--precision); null = from AMP_OPT_LEVEL.</param>
/// <param name="UsesPrecision">False: fp32 and nothing said (the linear probe trains only its head).</param>
/// <param name="CheckpointFolder">A subfolder of the run folder for the checkpoints; null = the run folder.</param>
/// <param name="FinalCheckpoint">A file (in the run folder) that also gets the model when the run ends, finished or
/// interrupted; null = none.</param>
internal sealed record LoopSpec(SimMimConfig Config, ResolvedRun Run, IProcessGroup Group, IReadOnlyList<ITrainingObserver> Observers, string? ResumePath,
    int Accumulation, Precision? Precision = null, bool UsesPrecision = true, string? CheckpointFolder = null,
    string? FinalCheckpoint = null);

/// <summary>What a run did.</summary>
/// <param name="OutputDirectory">OUTPUT/MODEL.NAME/TAG.</param>
/// <param name="EpochLosses">Mean training loss of each epoch run.</param>
/// <param name="Evaluations">The validation of each validated epoch, in order.</param>
/// <param name="MaxAccuracy">Best validation top-1, including epochs before a resume.</param>
/// <param name="Interrupted">Cancelled, and stopped after writing a checkpoint where it stopped.</param>
/// <param name="LastCheckpoint">The newest checkpoint written or resumed from.</param>
/// <param name="SaveFailure">Why the last checkpoint write failed (null when it succeeded).</param>
internal sealed record LoopResult(string OutputDirectory, IReadOnlyList<double> EpochLosses,
    IReadOnlyList<ClassificationResult> Evaluations, double MaxAccuracy, bool Interrupted, string? LastCheckpoint,
    string? SaveFailure);

/// <summary>
/// The one training loop: opens the run folder (<see cref="RunDirectory"/>) and reports through its
/// <see cref="RunReporter"/>; builds the task, the optimizer, the schedule and <see cref="TrainStep"/>; resumes
/// (<see cref="RunPosition.Restore"/>), also inside an epoch, exactly; then runs the epochs: per step the seed, the
/// task's loss, the optimizer step, the non-finite guard, progress, and a checkpoint every SAVE_STEPS or where a
/// cancelled run stops; per epoch the task's end work, the epoch's checkpoint (<see cref="RunCheckpoints"/>) and its
/// report. Data parallelism (<see cref="DataParallel"/>) lives here too, so every task gets it.
/// </summary>
internal sealed class TrainingLoop<TBatch>(RunCheckpoints checkpoints, TrainStep trainStep, NonFiniteGuard guard,
    StepMeter meter, RunReporter reporter, RunPosition start, int stepsPerEpoch) where TBatch : IDisposable
{
    private int _step;
    private long _globalStep = start.GlobalStep;
    private double _lossSum;
    private int _lossCount;
    private double _maxAccuracy = start.MaxAccuracy;

    /// <summary>
    /// Runs the epochs left of the task <paramref name="build"/> makes. A cancelled token ends the run after the
    /// current optimizer step, with a checkpoint written there.
    /// </summary>
    /// <exception cref="SimMimUserException">Too many non-finite steps in a row, unreadable data, or the final
    /// checkpoint could not be written (the previous one is named and intact).</exception>
    public static LoopResult Run(LoopSpec spec, Func<TaskContext, ITrainingTask<TBatch>> build, CancellationToken cancellation)
    {
        var config = spec.Config;
        var train = config.Train;
        var run = spec.Run;
        using var parallel = new DataParallel(spec.Group, cancellation);
        cancellation = parallel.Token;
        // First, before any work: the folder takes files and no other run writes to it.
        using var directory = parallel.OpenRunDirectory(run.OutputDir, spec.Observers);
        var reporter = directory.Reporter;
        using var task = build(new TaskContext(spec, reporter, parallel.Sampler, cancellation));

        int stepsPerEpoch = task.StepsPerEpoch;
        var groups = task.Groups;
        using var optimizer = OptimizerFactory.CreateOptimizer(groups, train, run.BaseLr);
        var trainStep = new TrainStep(optimizer, groups, OptimizerFactory.CreateSchedule(train, run, stepsPerEpoch), stepsPerEpoch,
            spec.Accumulation, train.ClipGrad, parallel.Reducer(groups.SelectMany(g => g.Parameters)));
        string checkpointDir = run.OutputDir;
        if (spec.CheckpointFolder is { } folder)
        {
            checkpointDir = Path.Combine(run.OutputDir, folder);
            if (parallel.IsMain) UserPaths.CreateDirectory(checkpointDir, "the checkpoint folder");
        }
        var start = RunPosition.Restore(spec.ResumePath, train, checkpointDir, task.Model, optimizer, trainStep, stepsPerEpoch, reporter);
        parallel.Start(task.Model, start, config.Data.BatchSize, reporter);
        var checkpoints = new RunCheckpoints(checkpointDir, config, task.Model, optimizer, reporter, start, writes: parallel.IsMain);
        // Only now that the checkpoint fits and the ranks agree: a run refused above leaves the folder's files as they were.
        directory.WriteConfig(checkpoints.ConfigYaml);
        directory.StartMetrics(start.GlobalStep);

        long parameterCount = groups.Sum(g => g.Parameters.Sum(p => p.numel()));
        reporter.RunStarted(new RunStartInfo(run.OutputDir, parameterCount, start.StartEpoch, train.Epochs, stepsPerEpoch,
            task.TrainImages, start.ResumedFrom, get_num_threads()));
        if (task.Describe(start, parameterCount) is { } description) reporter.Log(description);
        var precision = spec.UsesPrecision ? MixedPrecision.Choose(config.AmpOptLevel, spec.Precision, reporter).Precision : Precision.Fp32;

        int globalBatch = config.Data.BatchSize * parallel.WorldSize;
        var loop = new TrainingLoop<TBatch>(checkpoints, trainStep, new NonFiniteGuard(train.MaxNonfiniteSteps),
            new StepMeter(reporter, globalBatch, stepsPerEpoch, config.PrintFreq), reporter, start, stepsPerEpoch);
        // Each rank draws its own drop path (and Mixup/CutMix) numbers, as the reference's per-rank seed (SEED + rank) gives.
        int stepSeed = config.Seed + spec.Group.Rank;
        var epochLosses = new List<double>();
        var evaluations = new List<ClassificationResult>();
        int lastEpochDone = start.StartEpoch - 1;
        bool interrupted = false;
        for (int epoch = start.StartEpoch; epoch < train.Epochs && !interrupted; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            loop.StartEpoch(epoch);
            int firstStep = loop._step;
            foreach (TBatch batch in loop.Remaining(task.Batches(epoch, firstStep)))
            {
                double loss;
                StepResult result;
                StepSeeds.SeedTorch(stepSeed, loop._globalStep);
                using (var scope = NewDisposeScope())
                using (batch)
                {
                    Tensor lossTensor = task.Loss(batch, loop._globalStep, precision);
                    // The mean over the ranks: every rank logs it and skips a non-finite step alike.
                    loss = parallel.StepLoss(lossTensor.item<float>());
                    result = trainStep.Run(lossTensor, loop._step, loop._globalStep, double.IsFinite(loss));
                }
                interrupted = loop.AfterStep(epoch, loss, result, task.Skipped, cancellation);
                if (interrupted) break;
            }
            if (interrupted) break;
            double trainSeconds = epochClock.Elapsed.TotalSeconds;

            var extras = task.EndEpoch(epoch, cancellation.IsCancellationRequested);
            if (extras.Validation is { } validation)
            {
                evaluations.Add(validation);
                loop._maxAccuracy = Math.Max(loop._maxAccuracy, validation.Top1);
            }
            double meanLoss = loop.MeanLoss;
            epochLosses.Add(meanLoss);
            lastEpochDone = epoch;
            interrupted = cancellation.IsCancellationRequested;
            string? checkpointPath = loop.EndEpoch(epoch, task.Skipped, interrupted);
            if (parallel.EpochSummary(task.Model, epochClock.Elapsed) is { } summary) reporter.Log(summary);
            var report = new EpochReport(epoch, meanLoss, epochClock.Elapsed, (loop._step - firstStep) * globalBatch / trainSeconds,
                ProcessMemory.ResidentBytes(), checkpointPath, extras.Reconstruction, extras.Validation?.Top1, extras.Validation?.Top5,
                extras.Validation is null ? null : loop._maxAccuracy, extras.Validation is null ? null : extras.ValLoss);
            reporter.EpochFinished(report, $"epoch {epoch} done: {task.Summary(report, extras, trainSeconds)}" +
                (checkpointPath is null ? "" : $", saved {checkpointPath}") +
                loop.SkippedSoFar);
        }
        if (spec.FinalCheckpoint is { } final && parallel.IsMain)
        {
            TrainingCheckpoint.Save(Path.Combine(run.OutputDir, final), task.Model, optimizer,
                new TrainingState(lastEpochDone, loop._globalStep, trainStep.ScheduleUpdate, checkpoints.ConfigYaml, loop._maxAccuracy));
        }
        loop.Finish(interrupted);
        return new LoopResult(run.OutputDir, epochLosses, evaluations, loop._maxAccuracy, interrupted, checkpoints.LastGood,
            checkpoints.LastFailure);
    }

    private bool EpochDone => _step >= stepsPerEpoch;

    // The end of an epoch's log line: non-finite steps skipped so far, when there were any.
    private string SkippedSoFar => guard.Total > 0 ? $", {guard.Total} non-finite steps skipped so far" : "";

    // Mean of the epoch's finite losses (NaN when there were none).
    private double MeanLoss => _lossCount > 0 ? _lossSum / _lossCount : double.NaN;

    // Starts the epoch at step 0, or where the checkpoint resumed from was taken, with the loss sum so far, so that
    // the epoch's mean comes out the same.
    private void StartEpoch(int epoch)
    {
        bool resumedInside = epoch == start.StartEpoch;
        _step = resumedInside ? start.StepInEpoch : 0;
        _lossSum = resumedInside ? start.EpochLossSum : 0;
        _lossCount = resumedInside ? start.EpochLossCount : 0;
        meter.StartEpoch();
    }

    // The task's batches for the rest of the epoch: it ends after the epoch's last step (an epoch cut short,
    // --steps-per-epoch) and disposes the batch it does not hand out.
    private IEnumerable<TBatch> Remaining(IEnumerable<TBatch> batches)
    {
        foreach (TBatch batch in batches)
        {
            if (EpochDone)
            {
                batch.Dispose();
                yield break;
            }
            yield return batch;
        }
    }

    // Records the loader iteration just run; between optimizer steps, writes a mid-epoch checkpoint when one is due
    // or the run is cancelled. True when the run was cancelled: it has saved here and must stop.
    private bool AfterStep(int epoch, double loss, StepResult result, SkippedSamples? skipped, CancellationToken cancellation)
    {
        reporter.Warning(guard.Observe(result.Outcome, epoch, _step + 1, loss, result.GradNorm, checkpoints.LastGood));
        if (double.IsFinite(loss))
        {
            _lossSum += loss;
            _lossCount++;
        }
        _step++;
        _globalStep++;
        meter.Step(epoch, _step, _globalStep, loss, result);
        foreach (string line in skipped?.TakeWarnings() ?? []) reporter.Warning(line);

        // Never inside an accumulation window; the epoch's last step is saved by EndEpoch, after the epoch's extras.
        if (result.Outcome == StepOutcome.Accumulating || EpochDone) return false;
        bool stop = cancellation.IsCancellationRequested;
        if (stop || (checkpoints.MidEpochDue(_globalStep) && result.Stepped))
            checkpoints.Save(epoch - 1, _globalStep, result.ScheduleUpdate, _maxAccuracy, _step, _lossSum, _lossCount);
        return stop;
    }

    // Reports how many samples were stood in for, and writes the epoch's checkpoint when SAVE_FREQ asks for one, at
    // the last epoch, or when the run is cancelled. Returns the checkpoint written, or null.
    private string? EndEpoch(int epoch, SkippedSamples? skipped, bool cancelled)
    {
        if (skipped is not null)
        {
            foreach (string line in skipped.TakeWarnings()) reporter.Warning(line);
            if (skipped.TakeStandInCount() is var standIns and > 0)
                reporter.Warning($"epoch {epoch}: {standIns} samples stood in for unreadable images ({skipped.BadCount} unreadable files so far)");
        }
        return checkpoints.EpochEndDue(epoch) || cancelled
            ? checkpoints.Save(epoch, _globalStep, trainStep.ScheduleUpdate, _maxAccuracy)
            : null;
    }

    // Interrupted runs log where they stopped; a run whose last checkpoint write failed fails with that message,
    // unless it was interrupted (the caller then reports the failure with the interruption).
    private void Finish(bool interrupted)
    {
        if (interrupted)
            reporter.Log($"interrupted at step {_globalStep}; checkpoint {checkpoints.LastGood ?? "(none)"}");
        else if (checkpoints.LastFailure is { } failure)
            throw new SimMimUserException($"training finished, but {failure}");
    }
}
