using SimMim.Config;
using SimMim.Data;
using SimMim.Distributed;
using SimMim.Finetune;
using SimMim.Models.Layers;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>
/// What pretraining, fine-tuning and the linear probe do differently; <see cref="TrainingLoop{TBatch}"/> does the
/// rest (optimizer, resume, checkpoints, progress, the non-finite guard and the epoch/step skeleton). A task is built
/// once the run folder is open, owns its data and model, and is disposed when the run ends.
/// </summary>
/// <typeparam name="TBatch">One loader iteration's data; the loop disposes each batch after its step.</typeparam>
internal interface ITrainingTask<TBatch> : IDisposable where TBatch : IDisposable
{
    /// <summary>The module that is trained, checkpointed and (data parallel) kept the same on every rank.</summary>
    nn.Module Model { get; }

    /// <summary>The parameter groups of <see cref="Model"/> the optimizer steps, with their base lr and decay.</summary>
    IReadOnlyList<ParamGroup> Groups { get; }

    /// <summary>Loader iterations per epoch (cut short by --steps-per-epoch).</summary>
    int StepsPerEpoch { get; }

    /// <summary>Images in the training set.</summary>
    int TrainImages { get; }

    /// <summary>The training loader's unreadable images, reported as the run goes; null when it has none to report.</summary>
    SkippedSamples? Skipped { get; }

    /// <summary>The log line that opens the run, once its start point is known; null for none.</summary>
    string? Describe(RunPosition start, long parameterCount);

    /// <summary>
    /// Puts the model in training mode and yields the epoch's batches after the first <paramref name="skip"/> (a run
    /// resumed inside the epoch). The loop stops taking them after the epoch's last step.
    /// </summary>
    IEnumerable<TBatch> Batches(int epoch, int skip);

    /// <summary>The batch's mean loss, a scalar the loop backpropagates; runs inside the step's dispose scope.</summary>
    Tensor Loss(TBatch batch, long globalStep, Precision precision);

    /// <summary>The epoch's work after its last step and before its checkpoint: validation, a reconstruction grid.</summary>
    /// <param name="epoch">The epoch whose steps are done.</param>
    /// <param name="stopRequested">The run is being stopped: a classification task validates so the checkpoint's best
    /// accuracy is right.</param>
    EpochExtras EndEpoch(int epoch, bool stopRequested);

    /// <summary>The epoch's log line after "epoch E done: "; the loop adds the checkpoint saved and skipped steps.</summary>
    string Summary(EpochReport report, EpochExtras extras, double trainSeconds);
}

/// <summary>What a task did at the end of an epoch.</summary>
/// <param name="Validation">Top-1/top-5 on the validation set, when the epoch was validated.</param>
/// <param name="ValLoss">The validation set's mean cross-entropy (NaN when not validated).</param>
/// <param name="Reconstruction">The reconstruction grid written (pretraining).</param>
internal sealed record EpochExtras(ClassificationResult? Validation = null, double ValLoss = double.NaN, string? Reconstruction = null);

/// <summary>What a task is built with: the run's spec, its reporting channel and its share of a data-parallel run.</summary>
/// <param name="Spec">The config, its derived values and the process group.</param>
/// <param name="Reporter">log.txt, metrics.csv and the observers.</param>
/// <param name="Sampler">This rank's share of every epoch.</param>
/// <param name="Cancellation">The run's stop signal.</param>
internal sealed record TaskContext(LoopSpec Spec, RunReporter Reporter, DistributedSampler Sampler, CancellationToken Cancellation)
{
    public SimMimConfig Config => Spec.Config;

    public ResolvedRun Run => Spec.Run;

    /// <summary>The data-parallel processes (validation sums its tallies over them).</summary>
    public IProcessGroup Group => Spec.Group;
}
