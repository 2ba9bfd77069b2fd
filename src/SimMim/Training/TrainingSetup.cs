using System.Collections;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.IO;
using SimMim.Models;
using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>The parts every training loop builds the same way from the config: optimizer, lr schedule, resume point.</summary>
internal static class TrainingSetup
{
    /// <summary>AdamW (or SGD with nesterov momentum, the reference's unused branch) over the groups, each at its own lr and decay.</summary>
    public static OptimizerHelper CreateOptimizer(IReadOnlyList<ParamGroup> groups, TrainConfig train, double baseLr)
    {
        var o = train.Optimizer;
        if (o.Name == "sgd")
        {
            return torch.optim.SGD(
                groups.Select(g => new SGD.ParamGroup(g.Parameters, new SGD.Options
                {
                    LearningRate = g.BaseLr,
                    weight_decay = g.WeightDecay,
                    momentum = o.Momentum,
                    nesterov = true,
                })),
                baseLr, o.Momentum, 0, train.WeightDecay, nesterov: true);
        }
        return torch.optim.AdamW(
            groups.Select(g => new AdamW.ParamGroup(g.Parameters, new AdamW.Options { LearningRate = g.BaseLr, weight_decay = g.WeightDecay })),
            lr: baseLr, beta1: o.Betas[0], beta2: o.Betas[1], eps: o.Eps, weight_decay: train.WeightDecay);
    }

    /// <summary>
    /// The run's precision (--precision, else AMP_OPT_LEVEL on this CPU), written to the log; shown on the console too
    /// when it is bf16 or a fallback, the cases a user should notice.
    /// </summary>
    public static PrecisionChoice ChoosePrecision(SimMimConfig config, Precision? requested, RunLog log, ITrainingObserver observer)
    {
        var choice = MixedPrecision.Resolve(config.AmpOptLevel, requested);
        log.Write(choice.Reason);
        if (choice.Precision == Precision.Bf16 || choice.FellBack)
            observer.Message(choice.Reason);
        return choice;
    }

    public static LrSchedule CreateSchedule(TrainConfig train, ResolvedRun run, int stepsPerEpoch) =>
        new(train.LrScheduler.Name, train.Epochs, train.WarmupEpochs, stepsPerEpoch, run.WarmupLr, run.MinLr,
            train.LrScheduler.Multisteps, train.LrScheduler.Gamma, train.LrScheduler.DecayEpochs, train.LrScheduler.DecayRate);

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
    /// TRAIN.AUTO_RESUME, after the newest checkpoint in the output directory that reads back intact (unreadable ones
    /// are skipped and reported), else at TRAIN.START_EPOCH. Weights, optimizer, schedule position, the step within
    /// the epoch and the best accuracy are restored. A checkpoint of the reference's own scripts records only its
    /// epoch: the run starts at epoch + 1 as the reference's does, at step (epoch + 1)·<paramref name="stepsPerEpoch"/>.
    /// </summary>
    /// <exception cref="CheckpointException">The explicit checkpoint is unusable, or a checkpoint does not fit the
    /// model (a different architecture: resuming past it would overwrite it).</exception>
    public static RunPosition Resume(string? resumePath, SimMimConfig config, string outputDir, nn.Module model,
        OptimizerHelper optimizer, TrainStep trainStep, int stepsPerEpoch, RunLog log, ITrainingObserver observer)
    {
        string? explicitPath = ExplicitResumePath(resumePath, config);
        if (explicitPath is not null)
            return Resumed(explicitPath, TrainingCheckpoint.Read(explicitPath));
        if (!config.Train.AutoResume)
            return Fresh();
        foreach (string candidate in CheckpointFiles.NewestFirst(outputDir))
        {
            IDictionary checkpoint;
            try
            {
                checkpoint = TrainingCheckpoint.Read(candidate);
            }
            catch (CheckpointException e)
            {
                string line = $"auto-resume: skipped {e.Message}";
                log.Write(line);
                observer.Warning(line);
                continue;
            }
            return Resumed(candidate, checkpoint);
        }
        return Fresh();

        RunPosition Fresh() => new(config.Train.StartEpoch, 0, 0, null);

        RunPosition Resumed(string path, IDictionary checkpoint)
        {
            var applied = TrainingCheckpoint.Apply(checkpoint, path, model, optimizer);
            var state = applied.AtEndOfEpoch(stepsPerEpoch);
            trainStep.LastScheduleUpdate = state.LastScheduleUpdate;
            string where = state.StepInEpoch == 0 ? $"after epoch {state.Epoch}" : $"epoch {state.Epoch + 1} at step {state.StepInEpoch}";
            string derived = applied.EpochOnly ? $" = (epoch + 1) × {stepsPerEpoch} steps: the file records only its epoch" : "";
            log.Write($"resumed from {path} ({where}, global step {state.GlobalStep}{derived}, max accuracy {state.MaxAccuracy:F2} %)");
            return new RunPosition(state.Epoch + 1, state.GlobalStep, state.MaxAccuracy, path, state.StepInEpoch,
                state.EpochLossSum, state.EpochLossCount);
        }
    }

    /// <summary>What the data sets left out while listing their files (an image folder's non-images, loops, empty classes).</summary>
    public static void ReportDataWarnings(RunLog log, ITrainingObserver observer, params IImageDataset[] datasets)
    {
        // A subset (label fraction, --holdout) reports its folder's warnings; two subsets of one folder report them once.
        var folders = datasets.Select(d => d is SubsetDataset subset ? subset.Parent : d).OfType<ImageFolderDataset>().Distinct();
        foreach (string line in folders.SelectMany(folder => folder.Warnings))
        {
            log.Write($"data: {line}");
            observer.Warning($"data: {line}");
        }
    }

    /// <summary>Says, when it is so, that validation uses held-out training images rather than the validation split.</summary>
    public static void ReportHoldout(IImageDataset valSet, double holdout, RunLog log, ITrainingObserver observer)
    {
        if (holdout <= 0) return;
        string line = $"validation: {valSet.Count} held-out training images (--holdout {holdout}), not the validation split";
        log.Write(line);
        observer.Message(line);
    }

    /// <summary>
    /// The start of every labelled run (fine-tune, linear probe): seed torch, check the labels against
    /// MODEL.NUM_CLASSES and keep the requested class-stratified fraction of the training labels.
    /// </summary>
    public static IImageDataset PrepareTrainSet(SimMimConfig config, IImageDataset trainSet, double labelFraction)
    {
        torch.random.manual_seed(config.Seed);
        Evaluator.CheckClasses(trainSet, config.Model.NumClasses);
        return labelFraction < 1 ? SubsetDataset.Stratified(trainSet, labelFraction, config.Seed) : trainSet;
    }

    /// <summary>
    /// The downstream encoder, with a SimMIM pretraining checkpoint loaded into it when one is given; what was
    /// loaded, missing, unexpected and interpolated goes to the log and the observer. The caller owns the encoder.
    /// </summary>
    public static (MaskedImageEncoder Encoder, LoadResult? Loaded) BuildDownstreamEncoder(ModelConfig model, int imgSize,
        string? pretrained, RunLog log, ITrainingObserver observer)
    {
        MaskedImageEncoder encoder = ModelFactory.BuildEncoder(model, imgSize, forSimMim: false);
        if (pretrained is null)
            return (encoder, null);
        try
        {
            LoadResult loaded = PretrainedLoader.LoadPretrained(pretrained, encoder);
            foreach (string line in FineTuner.DescribeLoad(pretrained, loaded))
            {
                log.Write(line);
                observer.Message(line);
            }
            return (encoder, loaded);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }
}

/// <summary>
/// The first epoch to run, the loader iterations already done, the best accuracy so far, the checkpoint resumed from,
/// and for a mid-epoch checkpoint the steps of StartEpoch already done with the sum and count of their losses.
/// </summary>
internal sealed record RunPosition(int StartEpoch, long GlobalStep, double MaxAccuracy, string? ResumedFrom,
    int StepInEpoch = 0, double EpochLossSum = 0, int EpochLossCount = 0);
