using System.Diagnostics;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Finetune;
using SimMim.IO;
using SimMim.Models;
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
/// with the warmup + schedule of the config; plain cross-entropy.
/// </summary>
public sealed class LinearProbe
{
    public const int DefaultVitBlock = 8;

    private readonly SimMimConfig _config;
    private readonly ResolvedRun _run;
    private readonly LinearProbeOptions _options;
    private readonly ITrainingObserver _observer;
    private readonly string? _pretrained;

    /// <exception cref="ConfigException">Invalid config or options.</exception>
    /// <exception cref="CheckpointException">The pretrained checkpoint does not exist.</exception>
    public LinearProbe(SimMimConfig config, LinearProbeOptions? options = null, ITrainingObserver? observer = null)
    {
        _options = options ?? new LinearProbeOptions();
        // The encoder is frozen: its features are computed without gradients, one block at a time.
        ConfigValidator.ValidateRun(config, ConfigStage.Finetune, training: false);
        FineTuner.CheckOptions(_options.LabelFraction, _options.Holdout, _options.MaxStepsPerEpoch);
        if (_options.Block is int block)
            OptionRanges.ProbeBlock.Require("--block", block);
        _config = config;
        _run = ResolvedRun.Resolve(config);
        _observer = observer ?? NullTrainingObserver.Instance;
        _pretrained = _options.PretrainedPath is { Length: > 0 } p ? p : config.Pretrained is { Length: > 0 } c ? c : null;
        if (_pretrained is not null)
            UserPaths.RequireFile(_pretrained, "pretrained checkpoint", InputKind.Checkpoint);
    }

    /// <summary>The block a ViT of <paramref name="depth"/> is probed at: the request (default 8) clamped to the depth.</summary>
    public static int ProbeBlock(int? requested, int depth) => Math.Min(requested ?? DefaultVitBlock, depth);

    /// <summary>Frozen features (B, C): ViT mean patch token after <paramref name="block"/> blocks; Swin pooled final stage.</summary>
    public static Tensor Features(MaskedImageEncoder encoder, Tensor images, int block) => EncoderRegistry.Of(encoder).ProbeFeatures(encoder, images, block);

    /// <summary>Probes on DATA.DATA_PATH's training and validation splits.</summary>
    public LinearProbeResult Run(CancellationToken cancellation = default) =>
        Run(() => DatasetFactory.OpenSplits(_config.Data.DataPath, _options.Holdout), cancellation);

    /// <summary>Probes on the given training and validation sets (DATA.DATA_PATH is not read).</summary>
    public LinearProbeResult Run(IImageDataset trainSet, IImageDataset valSet, CancellationToken cancellation = default) =>
        Run(() => (trainSet, valSet), cancellation);

    private LinearProbeResult Run(Func<(IImageDataset Train, IImageDataset Val)> openSets, CancellationToken cancellation)
    {
        var data = _config.Data;
        var train = _config.Train;
        int numClasses = _config.Model.NumClasses;
        string outputDir = _run.OutputDir;
        // First, before the data is listed: the folder takes files and no other run writes to it.
        using var runDirectory = RunDirectory.Open(outputDir, _observer);
        var log = runDirectory.Log;
        var (trainSet, valSet) = openSets();

        TrainingSetup.ReportHoldout(valSet, _options.Holdout, log, _observer);
        trainSet = TrainingSetup.PrepareTrainSet(_config, trainSet, _options.LabelFraction);

        var (built, loaded) = TrainingSetup.BuildDownstreamEncoder(_config.Model with { NumClasses = 0 }, data.ImgSize, _pretrained, log, _observer);
        using MaskedImageEncoder encoder = built;
        foreach (var parameter in encoder.parameters()) parameter.requires_grad = false;
        encoder.eval();
        int block = EncoderRegistry.Of(encoder).ProbeDepth(encoder) is int depth ? ProbeBlock(_options.Block, depth) : 0;
        Tensor Extract(Tensor images) => Features(encoder, images, block);

        using var head = nn.Sequential(
            ("0", nn.BatchNorm1d(encoder.NumFeatures, eps: 1e-6, affine: false)),
            ("1", nn.Linear(encoder.NumFeatures, numClasses)));
        using (no_grad())
        {
            // MAE: trunc_normal_(head.weight, std=0.01), bias 0.
            var linear = (TorchSharp.Modules.Linear)head[1];
            linear.weight!.normal_(0, 0.01).clamp_(-0.02, 0.02);
            linear.bias!.zero_();
        }

        int workers = Math.Max(1, data.NumWorkers);
        using var valLoader = ClassificationLoader.ForEvaluation(valSet, data.ImgSize, _config.Test.Crop, data.BatchSize, workers);
        var clock = Stopwatch.StartNew();
        var (valFeatures, valLabels) = ComputeFeatures(Extract, valLoader, cancellation);
        (Tensor Features, Tensor Labels)? trainCache = null;
        using var trainLoader = _options.Augment
            ? ClassificationLoader.ForTraining(trainSet, new FinetuneTransform(data.ImgSize, _config.Aug.Scale[0], _config.Aug.Scale[1], reprob: 0), data.BatchSize, _config.Seed, workers)
            : ClassificationLoader.ForEvaluation(trainSet, data.ImgSize, _config.Test.Crop, data.BatchSize, workers);
        if (!_options.Augment)
            trainCache = ComputeFeatures(Extract, trainLoader, cancellation);
        log.Write($"features of {(trainCache is null ? 0 : trainSet.Count) + valSet.Count} images in {clock.Elapsed.TotalSeconds:F1} s " +
                  $"({(block > 0 ? $"block {block}" : "final stage")}, {encoder.NumFeatures} dims)");

        int fullBatches = trainSet.Count / data.BatchSize;
        if (fullBatches == 0)
            throw new ConfigException($"DATA.BATCH_SIZE ({data.BatchSize}) is larger than the training set ({trainSet.Count} images)");
        int stepsPerEpoch = _options.MaxStepsPerEpoch is int cap ? Math.Min(cap, fullBatches) : fullBatches;
        var groups = ParamGroups.ForPretraining(head.named_parameters(), new HashSet<string>(), [], _run.BaseLr, train.WeightDecay);
        using var optimizer = TrainingSetup.CreateOptimizer(groups, train, _run.BaseLr);
        var trainStep = new TrainStep(optimizer, groups, TrainingSetup.CreateSchedule(train, _run, stepsPerEpoch), 1, train.ClipGrad);
        var guard = new NonFiniteGuard(train.MaxNonfiniteSteps);
        string configYaml = ConfigWriter.ToYaml(_config);
        // Only now that the pretrained weights loaded: a probe refused above leaves the folder's files as they were.
        runDirectory.WriteConfig(configYaml);
        using var metrics = runDirectory.OpenMetrics(resumedStep: 0);

        long parameterCount = groups.Sum(g => g.Parameters.Sum(p => p.numel()));
        _observer.RunStarted(new RunStartInfo(outputDir, parameterCount, 0, train.Epochs, stepsPerEpoch, trainSet.Count, null, get_num_threads()));
        var meter = new StepMeter(_observer, metrics, log, data.BatchSize, stepsPerEpoch, _config.PrintFreq);
        var epochLosses = new List<double>();
        var evaluations = new List<ClassificationResult>();
        double maxAccuracy = 0;
        long globalStep = 0;
        int epochsRun = 0;
        for (int epoch = 0; epoch < train.Epochs && !cancellation.IsCancellationRequested; epoch++)
        {
            head.train();
            var epochClock = Stopwatch.StartNew();
            double lossSum = 0;
            int step = 0;
            meter.StartEpoch();
            foreach (var (features, labels) in TrainBatches(trainCache, trainLoader, Extract, epoch, data.BatchSize))
            {
                double loss;
                using (features)
                using (labels)
                {
                    if (step >= stepsPerEpoch || cancellation.IsCancellationRequested) break;
                    using var scope = NewDisposeScope();
                    var lossTensor = nn.functional.cross_entropy(head.call(features), labels);
                    loss = lossTensor.item<float>();
                    trainStep.Run(lossTensor, step, stepsPerEpoch, globalStep);
                }
                // The probe writes its classifier only at the end, so there is no earlier checkpoint to name.
                if (guard.Observe(trainStep.LastOutcome, epoch, step + 1, loss, trainStep.LastGradNorm, null) is { } skipped)
                {
                    log.Write(skipped);
                    _observer.Warning(skipped);
                }
                lossSum += double.IsFinite(loss) ? loss : 0;
                step++;
                globalStep++;
                meter.Step(epoch, step, globalStep, loss, trainStep.LastLr, trainStep.LastGradNorm);
            }
            if (step == 0) break;
            epochsRun = epoch + 1;

            head.eval();
            var metricsAcc = new ClassificationMetrics(numClasses);
            using (no_grad())
            using (var scope = NewDisposeScope())
                metricsAcc.Update(head.call(valFeatures), valLabels);
            var result = metricsAcc.Result();
            evaluations.Add(result);
            maxAccuracy = Math.Max(maxAccuracy, result.Top1);
            epochLosses.Add(lossSum / step);
            double seconds = epochClock.Elapsed.TotalSeconds;
            log.Write($"epoch {epoch} done: train loss {lossSum / step:F4}, {seconds:F1} s; val top-1 {result.Top1:F2} %, " +
                      $"top-5 {result.Top5:F2} %, max top-1 {maxAccuracy:F2} %");
            _observer.EpochFinished(new EpochReport(epoch, lossSum / step, epochClock.Elapsed, step * data.BatchSize / seconds,
                ProcessMemory.ResidentBytes(), null, null, result.Top1, result.Top5, maxAccuracy));
        }
        string checkpoint = Path.Combine(outputDir, "linear_probe.pth");
        TrainingCheckpoint.Save(checkpoint, head, optimizer,
            new TrainingState(epochsRun - 1, globalStep, trainStep.LastScheduleUpdate, configYaml, maxAccuracy));
        valFeatures.Dispose();
        valLabels.Dispose();
        trainCache?.Features.Dispose();
        trainCache?.Labels.Dispose();
        return new LinearProbeResult(outputDir, checkpoint, loaded, block, epochLosses, evaluations, maxAccuracy);
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

    // Shuffled mini-batches (drop_last) of the cached features, or features of fresh augmented views. The tensors
    // belong to no scope: the caller disposes each pair after its step.
    private IEnumerable<(Tensor Features, Tensor Labels)> TrainBatches((Tensor Features, Tensor Labels)? cache,
        ClassificationLoader loader, Func<Tensor, Tensor> extract, int epoch, int batchSize)
    {
        if (cache is var (features, labels))
        {
            int n = (int)features.shape[0];
            int[] order = Enumerable.Range(0, n).ToArray();
            new Random(HashCode.Combine(_config.Seed, epoch)).Shuffle(order);
            for (int start = 0; start + batchSize <= n; start += batchSize)
            {
                using var index = tensor(order[start..(start + batchSize)].Select(i => (long)i).ToArray());
                yield return (features.index_select(0, index), labels.index_select(0, index));
            }
            yield break;
        }
        foreach (ClassificationBatch batch in loader.Epoch(epoch))
        {
            Tensor f;
            using (no_grad())
            using (batch.Images)
            {
                using var scope = NewDisposeScope();
                f = extract(batch.Images).MoveToOuterDisposeScope();
            }
            yield return (f, batch.Labels);
        }
    }
}
