using System.Diagnostics;
using SimMim.Distributed;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Finetune;
using SimMim.IO;
using SimMim.Models;
using SimMim.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>Everything a linear-probe run needs besides the config.</summary>
/// <param name="PretrainedPath">Checkpoint whose encoder is probed (--pretrained, else PRETRAINED); none = a random encoder.</param>
/// <param name="Block">ViT: read the tokens after this many blocks (default 8, clamped to the depth). Ignored for Swin.</param>
/// <param name="Augment">Train on RandomResizedCrop + flip views (features recomputed every epoch); off = the
/// evaluation view, whose features are computed once and cached.</param>
/// <param name="LabelFraction">Train on a class-stratified subset of this fraction (seeded by SEED).</param>
/// <param name="MaxStepsPerEpoch">Cuts every epoch short; null = the whole data set.</param>
/// <param name="Holdout">Validate on this class-stratified share of the training set instead of the validation split
/// (0 = the validation split); see <see cref="DatasetFactory.OpenSplits(string, double)"/>.</param>
public sealed record LinearProbeOptions(string? PretrainedPath = null, int? Block = null, bool Augment = false,
    double LabelFraction = 1.0, int? MaxStepsPerEpoch = null, double Holdout = 0);

/// <summary>What a linear-probe run leaves behind.</summary>
/// <param name="OutputDirectory">OUTPUT/MODEL.NAME/TAG.</param>
/// <param name="Checkpoint">The trained classifier (BatchNorm statistics + linear layer).</param>
/// <param name="Pretrained">What the pretrained load did (null without one).</param>
/// <param name="Block">The ViT block read (0 for Swin: the final stage).</param>
/// <param name="EpochLosses">Mean training loss per epoch.</param>
/// <param name="Evaluations">Validation after each epoch.</param>
/// <param name="MaxAccuracy">Best validation top-1 (percent).</param>
public sealed record LinearProbeResult(string OutputDirectory, string Checkpoint, LoadResult? Pretrained, int Block,
    IReadOnlyList<double> EpochLosses, IReadOnlyList<ClassificationResult> Evaluations, double MaxAccuracy);

/// <summary>
/// Linear probing: the encoder frozen (eval mode, no gradients); ViT features are the average of the patch tokens
/// (cls left out) after block <c>Block</c> (SimMIM/BEiT probe ViT-B at block 8 of 12), Swin features the pooled
/// final stage. The classifier is MAE's: BatchNorm1d without affine parameters (eps 1e-6), then a linear layer —
/// the BatchNorm only standardises features, so the classifier stays linear. AdamW or SGD (TRAIN.OPTIMIZER.NAME)
/// with the warmup + schedule of the config; plain cross-entropy. Like the other runs it checkpoints (the head and
/// its optimizer, in <see cref="CheckpointFolder"/>) every SAVE_FREQ epochs, every SAVE_STEPS steps and where a
/// cancelled run stops, and resumes from the newest one (TRAIN.AUTO_RESUME) exactly where it was taken.
/// </summary>
public sealed class LinearProbe
{
    public const int DefaultVitBlock = 8;

    /// <summary>The classifier when the run ends, in the run folder.</summary>
    public const string CheckpointFileName = "linear_probe.pth";

    /// <summary>
    /// The subfolder of the run folder with the probe's checkpoints: apart from the checkpoints of a fine-tuning run
    /// of the same config, which the probe must not resume from.
    /// </summary>
    public const string CheckpointFolder = "probe_checkpoints";

    private readonly LoopSpec _spec;
    private readonly LinearProbeOptions _options;
    private readonly string? _pretrained;

    /// <exception cref="ConfigException">Invalid config or options.</exception>
    /// <exception cref="CheckpointException">The pretrained checkpoint does not exist.</exception>
    public LinearProbe(SimMimConfig config, LinearProbeOptions? options = null, ITrainingObserver? observer = null)
        : this(config, options, observer is null ? [] : [observer]) { }

    /// <summary>A probe that reports to each of <paramref name="observers"/> (e.g. the console and TensorBoard).</summary>
    public LinearProbe(SimMimConfig config, LinearProbeOptions? options, IEnumerable<ITrainingObserver> observers)
    {
        _options = options ?? new LinearProbeOptions();
        // The encoder is frozen: its features are computed without gradients, one block at a time.
        ConfigValidator.ValidateRun(config, ConfigStage.Finetune, training: false);
        FineTuner.CheckOptions(_options.LabelFraction, _options.Holdout, _options.MaxStepsPerEpoch);
        if (_options.Block is int block)
            OptionRanges.ProbeBlock.Require("--block", block);
        _pretrained = DownstreamEncoder.PretrainedPath(_options.PretrainedPath, config);
        // No explicit resume point: MODEL.RESUME names a fine-tuning checkpoint, not a probe's.
        _spec = new LoopSpec(config, ResolvedRun.Resolve(config), SingleProcessGroup.Instance, observers.ToList(),
            ResumePath: null, Accumulation: 1, UsesPrecision: false, CheckpointFolder: CheckpointFolder, FinalCheckpoint: CheckpointFileName);
    }

    /// <summary>The block a ViT of <paramref name="depth"/> is probed at: the request (default 8) clamped to the depth.</summary>
    public static int ProbeBlock(int? requested, int depth) => Math.Min(requested ?? DefaultVitBlock, depth);

    /// <summary>Frozen features (B, C): ViT mean patch token after <paramref name="block"/> blocks; Swin pooled final stage.</summary>
    public static Tensor Features(MaskedImageEncoder encoder, Tensor images, int block) => EncoderRegistry.Of(encoder).ProbeFeatures(encoder, images, block);

    /// <summary>Probes on DATA.DATA_PATH's training and validation splits.</summary>
    public LinearProbeResult Run(CancellationToken cancellation = default) =>
        Run(() => DatasetFactory.OpenSplits(_spec.Config.Data.DataPath, _options.Holdout), cancellation);

    /// <summary>Probes on the given training and validation sets (DATA.DATA_PATH is not read).</summary>
    public LinearProbeResult Run(IImageDataset trainSet, IImageDataset valSet, CancellationToken cancellation = default) =>
        Run(() => (trainSet, valSet), cancellation);

    private LinearProbeResult Run(Func<(IImageDataset Train, IImageDataset Val)> openSets, CancellationToken cancellation)
    {
        ProbeTask? task = null;
        var result = TrainingLoop<ProbeBatch>.Run(_spec, context => task = new ProbeTask(_options, _pretrained, openSets, context), cancellation);
        return new LinearProbeResult(result.OutputDirectory, Path.Combine(result.OutputDirectory, CheckpointFileName), task!.Loaded,
            task.Block, result.EpochLosses, result.Evaluations, result.MaxAccuracy);
    }

    // A step's features (B, C) and labels (B); they belong to no scope until the step's.
    private sealed record ProbeBatch(Tensor Features, Tensor Labels) : IDisposable
    {
        public void Dispose()
        {
            Features.Dispose();
            Labels.Dispose();
        }
    }

    // The probe as a task of the loop: cross-entropy of the head on frozen features; validation after every epoch.
    private sealed class ProbeTask : ITrainingTask<ProbeBatch>
    {
        // Keeps the shuffle's seeds apart from the loaders' and StepSeeds' streams.
        private const int ShuffleStream = -4;

        private readonly SimMimConfig _config;
        private readonly MaskedImageEncoder _encoder;
        private readonly TorchSharp.Modules.Sequential _head;
        private readonly ClassificationLoader _trainLoader;
        private readonly (Tensor Features, Tensor Labels) _val;
        private readonly (Tensor Features, Tensor Labels)? _trainCache;

        public ProbeTask(LinearProbeOptions options, string? pretrained, Func<(IImageDataset Train, IImageDataset Val)> openSets,
            TaskContext context)
        {
            var (config, run) = (context.Config, context.Run);
            _config = config;
            var data = config.Data;
            var (trainSet, valSet) = openSets();
            RunData.ReportHoldout(valSet, options.Holdout, context.Reporter);
            trainSet = RunData.PrepareTrainSet(config, trainSet, options.LabelFraction);
            TrainImages = trainSet.Count;
            (_encoder, Loaded) = DownstreamEncoder.Build(config.Model with { NumClasses = 0 }, data.ImgSize, pretrained, context.Reporter);
            foreach (var parameter in _encoder.parameters()) parameter.requires_grad = false;
            _encoder.eval();
            Block = EncoderRegistry.Of(_encoder).ProbeDepth(_encoder) is int depth ? ProbeBlock(options.Block, depth) : 0;

            _head = nn.Sequential(
                ("0", nn.BatchNorm1d(_encoder.NumFeatures, eps: 1e-6, affine: false)),
                ("1", nn.Linear(_encoder.NumFeatures, config.Model.NumClasses)));
            using (no_grad())
            {
                // MAE: trunc_normal_(head.weight, std=0.01), bias 0; truncated at ±0.02 (2σ), the bounds this port's
                // probe has always used (timm's default ±2 absolute would never bind at this std).
                var linear = (TorchSharp.Modules.Linear)_head[1];
                TruncatedNormal.Fill(linear.weight!, 0, 0.01, -0.02, 0.02);
                linear.bias!.zero_();
            }

            int workers = Math.Max(1, data.NumWorkers);
            using var valLoader = ClassificationLoader.ForEvaluation(valSet, data.ImgSize, config.Test.Crop, data.BatchSize, workers);
            var clock = Stopwatch.StartNew();
            _val = ComputeFeatures(Extract, valLoader, context.Cancellation);
            _trainLoader = options.Augment
                ? ClassificationLoader.ForTraining(trainSet, new FinetuneTransform(data.ImgSize, config.Aug.Scale[0], config.Aug.Scale[1], reprob: 0), data.BatchSize, config.Seed, workers)
                : ClassificationLoader.ForEvaluation(trainSet, data.ImgSize, config.Test.Crop, data.BatchSize, workers);
            if (!options.Augment)
                _trainCache = ComputeFeatures(Extract, _trainLoader, context.Cancellation);
            context.Reporter.Log($"features of {(_trainCache is null ? 0 : trainSet.Count) + valSet.Count} images in {clock.Elapsed.TotalSeconds:F1} s " +
                                 $"({(Block > 0 ? $"block {Block}" : "final stage")}, {_encoder.NumFeatures} dims)");

            int fullBatches = trainSet.Count / data.BatchSize;
            if (fullBatches == 0)
                throw new ConfigException($"DATA.BATCH_SIZE ({data.BatchSize}) is larger than the training set ({trainSet.Count} images)");
            StepsPerEpoch = options.MaxStepsPerEpoch is int cap ? Math.Min(cap, fullBatches) : fullBatches;
            Groups = ParamGroups.ForPretraining(_head.named_parameters(), new HashSet<string>(), [], run.BaseLr, config.Train.WeightDecay);
        }

        public nn.Module Model => _head;
        public IReadOnlyList<ParamGroup> Groups { get; }
        public int StepsPerEpoch { get; }
        public int TrainImages { get; }
        public SkippedSamples? Skipped => null;
        public LoadResult? Loaded { get; }
        public int Block { get; }

        public string? Describe(RunPosition start, long parameterCount) => null;

        public IEnumerable<ProbeBatch> Batches(int epoch, int skip)
        {
            _head.train();
            return TrainBatches(epoch, skip);
        }

        public Tensor Loss(ProbeBatch batch, long globalStep, Precision precision) =>
            nn.functional.cross_entropy(_head.call(batch.Features), batch.Labels);

        public EpochExtras EndEpoch(int epoch, bool stopRequested)
        {
            _head.eval();
            var metrics = new ClassificationMetrics(_config.Model.NumClasses);
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var logits = _head.call(_val.Features);   // (N, classes)
            metrics.Update(logits, _val.Labels);
            return new EpochExtras(metrics.Result(), nn.functional.cross_entropy(logits, _val.Labels).item<float>());
        }

        public string Summary(EpochReport report, EpochExtras extras, double trainSeconds) =>
            $"train loss {report.MeanLoss:F4}, {trainSeconds:F1} s; val top-1 {report.Top1:F2} %, " +
            $"top-5 {report.Top5:F2} %, max top-1 {report.MaxAccuracy:F2} %";

        public void Dispose()
        {
            _val.Features?.Dispose();
            _val.Labels?.Dispose();
            _trainCache?.Features.Dispose();
            _trainCache?.Labels.Dispose();
            _trainLoader?.Dispose();
            _head.Dispose();
            _encoder.Dispose();
        }

        private Tensor Extract(Tensor images) => Features(_encoder, images, Block);

        // Shuffled mini-batches (drop_last) of the cached features, or features of fresh augmented views, after the
        // first skip. The shuffle is seeded by (SEED, epoch): a resumed run sees the same order.
        private IEnumerable<ProbeBatch> TrainBatches(int epoch, int skip)
        {
            int batchSize = _config.Data.BatchSize;
            if (_trainCache is var (features, labels))
            {
                int n = (int)features.shape[0];
                int[] order = Enumerable.Range(0, n).ToArray();
                new Random(SeedMix.Combine(_config.Seed, epoch, ShuffleStream)).Shuffle(order);
                for (int start = skip * batchSize; start + batchSize <= n; start += batchSize)
                {
                    using var index = tensor(order[start..(start + batchSize)].Select(i => (long)i).ToArray());
                    yield return new ProbeBatch(features.index_select(0, index), labels.index_select(0, index));
                }
                yield break;
            }
            foreach (ClassificationBatch batch in _trainLoader.Epoch(epoch, skipBatches: skip))
            {
                Tensor f;
                using (no_grad())
                using (batch.Images)
                {
                    using var scope = NewDisposeScope();
                    f = Extract(batch.Images).MoveToOuterDisposeScope();
                }
                yield return new ProbeBatch(f, batch.Labels);
            }
        }
    }

    // Features of every batch of a loader, concatenated: (N, C) float32 and (N) int64, outside any scope.
    internal static (Tensor Features, Tensor Labels) ComputeFeatures(Func<Tensor, Tensor> extract, ClassificationLoader loader,
        CancellationToken cancellation)
    {
        var features = new List<Tensor>();
        var labels = new List<Tensor>();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (ClassificationBatch batch in loader.Epoch())
        {
            // A scope per batch: the encoder's intermediate activations die with it and only the (B, C) features
            // move out; one scope around the loop would hold every batch's activations (tens of GB on 60k images).
            using (var batchScope = NewDisposeScope())
            using (batch)
            {
                if (cancellation.IsCancellationRequested) break;
                if (batch.Labels.shape[0] == 0) continue;   // every image of the batch was unreadable
                features.Add(extract(batch.Images).MoveToOuterDisposeScope());
                labels.Add(batch.Labels.clone().MoveToOuterDisposeScope());
            }
        }
        return (cat(features, 0).MoveToOuterDisposeScope(), cat(labels, 0).MoveToOuterDisposeScope());
    }
}
