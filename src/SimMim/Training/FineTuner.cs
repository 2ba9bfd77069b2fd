using System.Diagnostics;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Data.Augment;
using SimMim.Distributed;
using SimMim.Finetune;
using SimMim.IO;
using SimMim.Models;
using SimMim.Models.Layers;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>Everything a fine-tuning run needs besides the config.</summary>
/// <param name="PretrainedPath">Pretraining checkpoint to start from (--pretrained, else PRETRAINED); none = from scratch.</param>
/// <param name="ResumePath">Fine-tuning checkpoint to resume; otherwise the newest in the output directory (TRAIN.AUTO_RESUME).</param>
/// <param name="LabelFraction">Train on a class-stratified subset of this fraction of the training set (seeded by SEED).</param>
/// <param name="MaxStepsPerEpoch">Cuts every epoch short (tests, quick trials); null = the whole data set.</param>
/// <param name="EvalFrequency">Validate every this many epochs and after the last (the reference: every epoch). Small
/// label fractions run many short epochs, where validating each one would cost more than training.</param>
/// <param name="Precision">fp32 or bf16 mixed precision for the training forward (--precision); null = from AMP_OPT_LEVEL.</param>
/// <param name="Holdout">Validate on this class-stratified share of the training set instead of the validation split
/// (0 = the validation split), to choose a recipe without the test set; see <see cref="DatasetFactory.OpenSplits(string, double)"/>.</param>
public sealed record FinetuneOptions(string? PretrainedPath = null, string? ResumePath = null, double LabelFraction = 1.0,
    int? MaxStepsPerEpoch = null, int EvalFrequency = 1, Precision? Precision = null, double Holdout = 0);

/// <summary>What a finished fine-tuning run leaves behind.</summary>
/// <param name="OutputDirectory">OUTPUT/MODEL.NAME/TAG.</param>
/// <param name="LastCheckpoint">The newest checkpoint written or resumed from.</param>
/// <param name="Pretrained">What the pretrained load did (null when trained from scratch).</param>
/// <param name="EpochLosses">Mean training loss of each epoch run.</param>
/// <param name="Evaluations">Validation after each validated epoch, in order; the last is the final model's.</param>
/// <param name="MaxAccuracy">Best validation top-1 (percent), including epochs before a resume.</param>
/// <param name="TrainImages">Images in the (possibly label-fraction) training set.</param>
/// <param name="PeakRssBytes">Peak resident memory of the process.</param>
/// <param name="Interrupted">The run was cancelled and stopped early, after writing a checkpoint where it stopped.</param>
/// <param name="SaveFailure">Why the last checkpoint write failed (null when it succeeded).</param>
public sealed record FinetuneResult(string OutputDirectory, string? LastCheckpoint, LoadResult? Pretrained,
    IReadOnlyList<double> EpochLosses, IReadOnlyList<ClassificationResult> Evaluations, double MaxAccuracy,
    int TrainImages, long PeakRssBytes, bool Interrupted = false, string? SaveFailure = null);

/// <summary>
/// Fine-tuning (the reference's main_finetune.py): the encoder with its classification head, optionally initialised
/// from a SimMIM checkpoint; AdamW with layer-decay groups, linear lr scaling, per-step warmup + schedule, gradient
/// clipping; Mixup/CutMix with soft-target CE when AUG.MIXUP or AUG.CUTMIX is on, else label-smoothing CE; validation
/// (top-1/top-5) after every epoch; checkpoints every SAVE_FREQ epochs and at the end (and every SAVE_STEPS steps);
/// auto-resume that continues mid-epoch exactly where a checkpoint was taken (docs/RELIABILITY.md).
/// </summary>
public sealed class FineTuner
{
    private readonly SimMimConfig _config;
    private readonly ResolvedRun _run;
    private readonly FinetuneOptions _options;
    private readonly ITrainingObserver _observer;
    private readonly string? _pretrained;
    private readonly IProcessGroup _group;

    /// <param name="config">The run's configuration.</param>
    /// <param name="options">Checkpoints, label fraction, epoch length, evaluation frequency, precision.</param>
    /// <param name="observer">Progress; only rank 0's is called.</param>
    /// <param name="group">The data-parallel processes this one belongs to; null = this process alone.</param>
    /// <exception cref="ConfigException">Invalid config or an augmentation this port does not implement.</exception>
    /// <exception cref="CheckpointException">The pretrained or the named resume checkpoint is missing (or a folder).</exception>
    public FineTuner(SimMimConfig config, FinetuneOptions? options = null, ITrainingObserver? observer = null,
        IProcessGroup? group = null)
    {
        _options = options ?? new FinetuneOptions();
        _group = group ?? SingleProcessGroup.Instance;
        ConfigValidator.ValidateRun(config, ConfigStage.Finetune, training: true, processesOnThisMachine: _group.LocalSize);
        CheckOptions(_options.LabelFraction, _options.Holdout, _options.MaxStepsPerEpoch);
        OptionRanges.EvalFrequency.Require("--eval-freq", _options.EvalFrequency);
        CheckSupportedAugmentation(config.Aug);
        _config = config;
        _run = ResolvedRun.Resolve(config, _group.WorldSize);
        _observer = observer ?? NullTrainingObserver.Instance;
        _pretrained = _options.PretrainedPath is { Length: > 0 } p ? p : config.Pretrained is { Length: > 0 } c ? c : null;
        if (_pretrained is not null)
            UserPaths.RequireFile(_pretrained, "pretrained checkpoint", InputKind.Checkpoint);
        TrainingSetup.ExplicitResumePath(_options.ResumePath, config);
        if (MixupOptionsOf(config).Enabled && config.Data.BatchSize % 2 != 0)
            throw new ConfigException($"DATA.BATCH_SIZE ({config.Data.BatchSize}) must be even with mixup/cutmix on");
    }

    /// <summary>The options a labelled run shares (fine-tune, linear probe), against <see cref="OptionRanges"/>.</summary>
    /// <exception cref="ConfigException">The first option out of range, named by its command-line flag.</exception>
    public static void CheckOptions(double labelFraction, double holdout, int? maxStepsPerEpoch)
    {
        OptionRanges.LabelFraction.Require("--label-fraction", labelFraction);
        OptionRanges.Holdout.Require("--holdout", holdout);
        if (maxStepsPerEpoch is int steps)
            OptionRanges.StepsPerEpoch.Require("--steps-per-epoch", steps);
    }

    /// <summary>
    /// Checks the augmentation settings before any work, and refuses the ones the port does not implement instead of
    /// skipping them silently: auto-augment strings other than RandAugment's, random erasing other than one 'pixel' box.
    /// </summary>
    /// <exception cref="ConfigException">The first invalid or unsupported setting.</exception>
    public static void CheckSupportedAugmentation(AugConfig aug)
    {
        RandAugmentPolicy.FromConfig(aug.AutoAugment);
        FinetuneTransform.CheckColorJitter(aug.ColorJitter);
        if (aug.Reprob > 0 && (aug.Remode != "pixel" || aug.Recount != 1))
            throw new ConfigException($"AUG.REMODE '{aug.Remode}' with AUG.RECOUNT {aug.Recount}: only 'pixel' with count 1 is implemented");
        if (aug.MixupMode != "batch")
            throw new ConfigException($"AUG.MIXUP_MODE '{aug.MixupMode}': only 'batch' is implemented");
    }

    /// <summary>Fine-tunes on DATA.DATA_PATH's training split, validating on its validation split.</summary>
    public FinetuneResult Run(CancellationToken cancellation = default) =>
        Run(() => DatasetFactory.OpenSplits(_config.Data.DataPath, _options.Holdout), cancellation);

    /// <summary>Fine-tunes on the given sets (DATA.DATA_PATH is not read); the label fraction applies to <paramref name="trainSet"/>.</summary>
    public FinetuneResult Run(IImageDataset trainSet, IImageDataset valSet, CancellationToken cancellation = default) =>
        Run(() => (trainSet, valSet), cancellation);

    private FinetuneResult Run(Func<(IImageDataset Train, IImageDataset Val)> openSets, CancellationToken cancellation)
    {
        var data = _config.Data;
        var train = _config.Train;
        int numClasses = _config.Model.NumClasses;
        string outputDir = _run.OutputDir;
        using var parallel = new DataParallel(_group, cancellation);
        cancellation = parallel.Token;
        var observer = parallel.Observer(_observer);
        // First, before the data is listed: the folder takes files and no other run writes to it.
        using var runDirectory = parallel.OpenRunDirectory(outputDir, observer);
        var log = runDirectory.Log;
        var (trainSet, valSet) = openSets();

        TrainingSetup.ReportDataWarnings(log, observer, trainSet, valSet);
        TrainingSetup.ReportHoldout(valSet, _options.Holdout, log, observer);
        trainSet = TrainingSetup.PrepareTrainSet(_config, trainSet, _options.LabelFraction);

        var (built, loaded) = TrainingSetup.BuildDownstreamEncoder(_config.Model, data.ImgSize, _pretrained, log, observer);
        using MaskedImageEncoder encoder = built;

        int workers = Math.Max(1, data.NumWorkers);
        using var trainLoader = ClassificationLoader.ForTraining(trainSet,
            new FinetuneTransform(data.ImgSize, _config.Aug.Scale[0], _config.Aug.Scale[1], reprob: _config.Aug.Reprob,
                autoAugment: _config.Aug.AutoAugment, colorJitter: _config.Aug.ColorJitter),
            data.BatchSize, _config.Seed, workers, maxBadFraction: data.MaxBadFraction, sampler: parallel.Sampler);
        using var valLoader = ClassificationLoader.ForEvaluation(valSet, data.ImgSize, _config.Test.Crop, data.BatchSize, workers,
            maxBadFraction: data.MaxBadFraction, sampler: parallel.Sampler);

        int accumulation = Math.Max(1, train.AccumulationSteps);
        int stepsPerEpoch = _options.MaxStepsPerEpoch is int cap ? Math.Min(cap, trainLoader.BatchesPerEpoch) : trainLoader.BatchesPerEpoch;
        var (numLayers, layerId) = LayerDecay.For(encoder);
        var groups = LayerDecay.ForFinetuning(encoder.named_parameters(), encoder.NoWeightDecay, encoder.NoWeightDecayKeywords,
            _run.BaseLr, train.WeightDecay, train.LayerDecay, numLayers, layerId);
        using var optimizer = TrainingSetup.CreateOptimizer(groups, train, _run.BaseLr);
        var trainStep = new TrainStep(optimizer, groups, TrainingSetup.CreateSchedule(train, _run, stepsPerEpoch), accumulation, train.ClipGrad,
            parallel.Reducer(groups.SelectMany(g => g.Parameters)));
        var mixupOptions = MixupOptionsOf(_config);
        // Each rank draws its own drop path and Mixup/CutMix numbers, as the reference's per-rank seed (SEED + rank) gives.
        int stepSeed = _config.Seed + _group.Rank;
        string configYaml = ConfigWriter.ToYaml(_config);

        var position = TrainingSetup.Resume(_options.ResumePath, _config, outputDir, encoder, optimizer, trainStep, stepsPerEpoch, log, observer);
        int startEpoch = position.StartEpoch;
        double maxAccuracy = position.MaxAccuracy;
        string? resumeFrom = position.ResumedFrom;
        parallel.Start(encoder, position, data.BatchSize, log);
        // Only now that the checkpoint fits and the ranks agree: a run refused above leaves the folder's files as they were.
        runDirectory.WriteConfig(configYaml);
        using var metrics = runDirectory.OpenMetrics(position.GlobalStep);
        var checkpoints = new RunCheckpoints(outputDir, _config, encoder, optimizer, log, observer, position, writes: parallel.IsMain);

        long parameterCount = groups.Sum(g => g.Parameters.Sum(p => p.numel()));
        observer.RunStarted(new RunStartInfo(outputDir, parameterCount, startEpoch, train.Epochs, stepsPerEpoch,
            trainSet.Count, resumeFrom, get_num_threads()));
        log.Write($"fine-tune {_config.Model.Type} {_config.Model.Name}: {parameterCount:N0} parameters, {groups.Count} groups " +
                  $"(layer decay {train.LayerDecay}); train {trainSet.Count} images ({_options.LabelFraction:P0} of labels), " +
                  $"val {valSet.Count}; batch {data.BatchSize}×{accumulation}; lr {_run.BaseLr:G4}; " +
                  $"loss {(mixupOptions.Enabled ? "soft-target CE (mixup/cutmix)" : $"label-smoothing CE ({_config.Model.LabelSmoothing})")}; " +
                  $"{(_pretrained is null ? "from scratch" : $"from {_pretrained}")}");

        var precision = TrainingSetup.ChoosePrecision(_config, _options.Precision, log, observer);

        int globalBatch = data.BatchSize * parallel.WorldSize;
        var meter = new StepMeter(observer, metrics, log, globalBatch, stepsPerEpoch, _config.PrintFreq);
        var progress = new EpochProgress(checkpoints, new NonFiniteGuard(train.MaxNonfiniteSteps), meter, trainStep, log, observer,
            position, stepsPerEpoch, configYaml);
        var epochLosses = new List<double>();
        var evaluations = new List<ClassificationResult>();
        bool interrupted = false;
        for (int epoch = startEpoch; epoch < train.Epochs && !interrupted; epoch++)
        {
            encoder.train();
            var epochClock = Stopwatch.StartNew();
            progress.StartEpoch(epoch);
            int firstStep = progress.Step;
            foreach (ClassificationBatch batch in progress.Remaining(trainLoader.Epoch(epoch, skipBatches: firstStep)))
            {
                double loss;
                StepSeeds.SeedTorch(stepSeed, progress.GlobalStep);
                using (var scope = NewDisposeScope())
                using (batch)
                {
                    // Mixup mixes the images in place before the forward, as timm's does on the GPU batch.
                    Tensor? soft = mixupOptions.Enabled
                        ? new Mixup(mixupOptions, StepSeeds.Mixup(stepSeed, progress.GlobalStep)).Apply(batch.Images, batch.Labels)   // (B, classes)
                        : null;
                    Tensor logits;
                    using (Autocast.Enable(precision.Precision))
                        logits = encoder.Classify(batch.Images);                      // (B, classes), fp32
                    var lossTensor = soft is not null
                        ? SoftTargetCrossEntropy.Loss(logits, soft)
                        : SoftTargetCrossEntropy.LabelSmoothing(logits, batch.Labels, _config.Model.LabelSmoothing);
                    // The mean over the ranks: every rank logs it and skips a non-finite step alike.
                    loss = parallel.StepLoss(lossTensor.item<float>());
                    trainStep.Run(lossTensor, progress.Step, stepsPerEpoch, progress.GlobalStep, double.IsFinite(loss));
                }
                interrupted = progress.AfterStep(epoch, loss, trainLoader.Skipped, maxAccuracy, cancellation);
                if (interrupted) break;
            }
            if (interrupted) break;
            double trainSeconds = epochClock.Elapsed.TotalSeconds;

            // Validation runs to its end even when a stop was asked for, so the checkpoint's max accuracy is right.
            ClassificationResult? result = null;
            double valLoss = double.NaN;
            if ((epoch + 1) % _options.EvalFrequency == 0 || epoch == train.Epochs - 1 || cancellation.IsCancellationRequested)
            {
                (result, valLoss) = Evaluator.Evaluate(encoder, valLoader, numClasses, group: parallel.Group);
                evaluations.Add(result);
                maxAccuracy = Math.Max(maxAccuracy, result.Top1);
            }
            double meanLoss = progress.MeanLoss;
            epochLosses.Add(meanLoss);
            foreach (string line in valLoader.Skipped.TakeWarnings()) progress.Warn(line);
            interrupted = cancellation.IsCancellationRequested;
            string? checkpointPath = progress.EndEpoch(epoch, trainLoader.Skipped, maxAccuracy, interrupted);
            if (parallel.EpochSummary(encoder, epochClock.Elapsed) is { } summary) log.Write(summary);
            long rss = ProcessMemory.ResidentBytes();
            double imagesPerSecond = (progress.Step - firstStep) * globalBatch / trainSeconds;
            string validation = result is null ? "not validated" :
                $"val loss {valLoss:F4}, top-1 {result.Top1:F2} %, top-5 {result.Top5:F2} % ({result.Count} images), max top-1 {maxAccuracy:F2} %";
            log.Write($"epoch {epoch} done: train loss {meanLoss:F4}, {trainSeconds:F1} s, {imagesPerSecond:F1} img/s; " +
                      $"{validation}; rss {rss / 1048576} MiB" + (checkpointPath is null ? "" : $", saved {checkpointPath}") +
                      progress.SkippedSummary);
            observer.EpochFinished(new EpochReport(epoch, meanLoss, epochClock.Elapsed, imagesPerSecond, rss, checkpointPath, null,
                result?.Top1, result?.Top5, result is null ? null : maxAccuracy));
        }
        progress.Finish(interrupted);
        return new FinetuneResult(outputDir, checkpoints.LastGood, loaded, epochLosses, evaluations, maxAccuracy, trainSet.Count,
            ProcessMemory.PeakResidentBytes(), interrupted, checkpoints.LastFailure);
    }

    /// <summary>The pretrained-load report as log lines: counts, then the missing, unexpected and resized keys.</summary>
    public static IEnumerable<string> DescribeLoad(string path, LoadResult result)
    {
        yield return $"pretrained {path}: loaded {result.Loaded.Count} tensors, missing {result.Missing.Count}, " +
                     $"unexpected {result.Unexpected.Count}, interpolated {result.Interpolated.Count}";
        if (result.Missing.Count > 0) yield return $"  missing (left as initialised): {string.Join(", ", result.Missing)}";
        if (result.Unexpected.Count > 0) yield return $"  unexpected (ignored): {string.Join(", ", result.Unexpected)}";
        if (result.Interpolated.Count > 0) yield return $"  interpolated: {string.Join(", ", result.Interpolated)}";
    }

    private static MixupOptions MixupOptionsOf(SimMimConfig config)
    {
        var aug = config.Aug;
        return new MixupOptions
        {
            MixupAlpha = aug.Mixup,
            CutmixAlpha = aug.Cutmix,
            CutmixMinMax = aug.CutmixMinmax is [var min, var max] ? (min, max) : null,
            Prob = aug.MixupProb,
            SwitchProb = aug.MixupSwitchProb,
            LabelSmoothing = config.Model.LabelSmoothing,
            NumClasses = config.Model.NumClasses,
        };
    }
}
