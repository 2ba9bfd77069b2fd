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
    private readonly LoopSpec _spec;
    private readonly FinetuneOptions _options;
    private readonly string? _pretrained;

    /// <param name="config">The run's configuration.</param>
    /// <param name="options">Checkpoints, label fraction, epoch length, evaluation frequency, precision.</param>
    /// <param name="observer">Progress; only rank 0's is called.</param>
    /// <param name="group">The data-parallel processes this one belongs to; null = this process alone.</param>
    /// <exception cref="ConfigException">Invalid config or an augmentation this port does not implement.</exception>
    /// <exception cref="CheckpointException">The pretrained or the named resume checkpoint is missing (or a folder).</exception>
    public FineTuner(SimMimConfig config, FinetuneOptions? options = null, ITrainingObserver? observer = null,
        IProcessGroup? group = null) : this(config, options, observer is null ? [] : [observer], group) { }

    /// <summary>A fine-tuner that reports to each of <paramref name="observers"/> (e.g. the console and TensorBoard).</summary>
    public FineTuner(SimMimConfig config, FinetuneOptions? options, IEnumerable<ITrainingObserver> observers,
        IProcessGroup? group = null)
    {
        _options = options ?? new FinetuneOptions();
        group ??= SingleProcessGroup.Instance;
        ConfigValidator.ValidateRun(config, ConfigStage.Finetune, training: true, processesOnThisMachine: group.LocalSize);
        CheckOptions(_options.LabelFraction, _options.Holdout, _options.MaxStepsPerEpoch);
        OptionRanges.EvalFrequency.Require("--eval-freq", _options.EvalFrequency);
        CheckSupportedAugmentation(config.Aug);
        _pretrained = DownstreamEncoder.PretrainedPath(_options.PretrainedPath, config);
        _spec = new LoopSpec(config, ResolvedRun.Resolve(config, group.WorldSize), group, observers.ToList(),
            RunPosition.ExplicitResumePath(_options.ResumePath, config), Math.Max(1, config.Train.AccumulationSteps), _options.Precision);
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
        Run(() => DatasetFactory.OpenSplits(_spec.Config.Data.DataPath, _options.Holdout), cancellation);

    /// <summary>Fine-tunes on the given sets (DATA.DATA_PATH is not read); the label fraction applies to <paramref name="trainSet"/>.</summary>
    public FinetuneResult Run(IImageDataset trainSet, IImageDataset valSet, CancellationToken cancellation = default) =>
        Run(() => (trainSet, valSet), cancellation);

    private FinetuneResult Run(Func<(IImageDataset Train, IImageDataset Val)> openSets, CancellationToken cancellation)
    {
        FinetuneTask? task = null;
        var result = TrainingLoop<ClassificationBatch>.Run(_spec,
            context => task = new FinetuneTask(_options, _pretrained, openSets, context), cancellation);
        return new FinetuneResult(result.OutputDirectory, result.LastCheckpoint, task!.Loaded, result.EpochLosses, result.Evaluations,
            result.MaxAccuracy, task.TrainImages, ProcessMemory.PeakResidentBytes(), result.Interrupted, result.SaveFailure);
    }

    // Fine-tuning as a task of the loop: the encoder's classification loss (label smoothing, or soft targets under
    // Mixup/CutMix); validation every EvalFrequency epochs, after the last and when the run is stopped.
    private sealed class FinetuneTask : ITrainingTask<ClassificationBatch>
    {
        private readonly FinetuneOptions _options;
        private readonly string? _pretrained;
        private readonly TaskContext _context;
        private readonly MaskedImageEncoder _encoder;
        private readonly ClassificationLoader _trainLoader;
        private readonly ClassificationLoader _valLoader;
        private readonly MixupOptions _mixup;
        private readonly int _valImages;

        public FinetuneTask(FinetuneOptions options, string? pretrained, Func<(IImageDataset Train, IImageDataset Val)> openSets,
            TaskContext context)
        {
            var (config, run) = (context.Config, context.Run);
            _options = options;
            _pretrained = pretrained;
            _context = context;
            var data = config.Data;
            var (trainSet, valSet) = openSets();
            RunData.ReportWarnings(context.Reporter, trainSet, valSet);
            RunData.ReportHoldout(valSet, options.Holdout, context.Reporter);
            trainSet = RunData.PrepareTrainSet(config, trainSet, options.LabelFraction);
            TrainImages = trainSet.Count;
            _valImages = valSet.Count;
            (_encoder, Loaded) = DownstreamEncoder.Build(config.Model, data.ImgSize, pretrained, context.Reporter);
            try
            {
                int workers = Math.Max(1, data.NumWorkers);
                _trainLoader = ClassificationLoader.ForTraining(trainSet,
                    new FinetuneTransform(data.ImgSize, config.Aug.Scale[0], config.Aug.Scale[1], reprob: config.Aug.Reprob,
                        autoAugment: config.Aug.AutoAugment, colorJitter: config.Aug.ColorJitter),
                    data.BatchSize, config.Seed, workers, maxBadFraction: data.MaxBadFraction, sampler: context.Sampler);
                _valLoader = ClassificationLoader.ForEvaluation(valSet, data.ImgSize, config.Test.Crop, data.BatchSize, workers,
                    maxBadFraction: data.MaxBadFraction, sampler: context.Sampler);
                StepsPerEpoch = options.MaxStepsPerEpoch is int cap ? Math.Min(cap, _trainLoader.BatchesPerEpoch) : _trainLoader.BatchesPerEpoch;
                var (numLayers, layerId) = LayerDecay.For(_encoder);
                Groups = LayerDecay.ForFinetuning(_encoder.named_parameters(), _encoder.NoWeightDecay, _encoder.NoWeightDecayKeywords,
                    run.BaseLr, config.Train.WeightDecay, config.Train.LayerDecay, numLayers, layerId);
                _mixup = MixupOptionsOf(config);
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public nn.Module Model => _encoder;
        public IReadOnlyList<ParamGroup> Groups { get; }
        public int StepsPerEpoch { get; }
        public int TrainImages { get; }
        public SkippedSamples Skipped => _trainLoader.Skipped;
        public LoadResult? Loaded { get; }

        public string Describe(RunPosition start, long parameterCount)
        {
            var (config, train) = (_context.Config, _context.Config.Train);
            return $"fine-tune {config.Model.Type} {config.Model.Name}: {parameterCount:N0} parameters, {Groups.Count} groups " +
                   $"(layer decay {train.LayerDecay}); train {TrainImages} images ({_options.LabelFraction:P0} of labels), " +
                   $"val {_valImages}; batch {config.Data.BatchSize}×{_context.Spec.Accumulation}; lr {_context.Run.BaseLr:G4}; " +
                   $"loss {(_mixup.Enabled ? "soft-target CE (mixup/cutmix)" : $"label-smoothing CE ({config.Model.LabelSmoothing})")}; " +
                   $"{(_pretrained is null ? "from scratch" : $"from {_pretrained}")}";
        }

        public IEnumerable<ClassificationBatch> Batches(int epoch, int skip)
        {
            _encoder.train();
            return _trainLoader.Epoch(epoch, skipBatches: skip);
        }

        public Tensor Loss(ClassificationBatch batch, long globalStep, Precision precision)
        {
            // Mixup mixes the images in place before the forward, as timm's does on the GPU batch.
            Tensor? soft = _mixup.Enabled
                ? new Mixup(_mixup, StepSeeds.Mixup(_context.Config.Seed + _context.Group.Rank, globalStep)).Apply(batch.Images, batch.Labels)   // (B, classes)
                : null;
            Tensor logits;
            using (Autocast.Enable(precision))
                logits = _encoder.Classify(batch.Images);                      // (B, classes), fp32
            return soft is not null
                ? SoftTargetCrossEntropy.Loss(logits, soft)
                : SoftTargetCrossEntropy.LabelSmoothing(logits, batch.Labels, _context.Config.Model.LabelSmoothing);
        }

        public EpochExtras EndEpoch(int epoch, bool stopRequested)
        {
            // Validation runs to its end even when a stop was asked for, so the checkpoint's max accuracy is right.
            var extras = new EpochExtras();
            if ((epoch + 1) % _options.EvalFrequency == 0 || epoch == _context.Config.Train.Epochs - 1 || stopRequested)
            {
                var (result, valLoss) = Evaluator.Evaluate(_encoder, _valLoader, _context.Config.Model.NumClasses, group: _context.Group);
                extras = new EpochExtras(result, valLoss);
            }
            foreach (string line in _valLoader.Skipped.TakeWarnings()) _context.Reporter.Warning(line);
            return extras;
        }

        public string Summary(EpochReport report, EpochExtras extras, double trainSeconds)
        {
            string validation = extras.Validation is not { } result ? "not validated" :
                $"val loss {extras.ValLoss:F4}, top-1 {result.Top1:F2} %, top-5 {result.Top5:F2} % ({result.Count} images), max top-1 {report.MaxAccuracy:F2} %";
            return $"train loss {report.MeanLoss:F4}, {trainSeconds:F1} s, {report.ImagesPerSecond:F1} img/s; " +
                   $"{validation}; rss {report.RssBytes / 1048576} MiB";
        }

        public void Dispose()
        {
            _valLoader?.Dispose();
            _trainLoader?.Dispose();
            _encoder.Dispose();
        }
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
