using System.Diagnostics;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Masking;
using SimMim.Models;
using SimMim.Models.Layers;
using SimMim.Visualization;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>Everything a pretraining run needs besides the config: where to resume from and how to report.</summary>
/// <param name="ResumePath">An explicit checkpoint (MODEL.RESUME / --resume); otherwise the newest in the output
/// directory is used when TRAIN.AUTO_RESUME is on.</param>
/// <param name="MaxStepsPerEpoch">Cuts every epoch short (demos, tests and benchmarks); null = the whole data set.</param>
/// <param name="GridImages">How many images the per-epoch reconstruction grid shows.</param>
/// <param name="Precision">fp32 or bf16 mixed precision (--precision); null = from AMP_OPT_LEVEL.</param>
public sealed record PretrainOptions(string? ResumePath = null, int? MaxStepsPerEpoch = null, int GridImages = 8,
    Precision? Precision = null);

/// <summary>What a finished run leaves behind.</summary>
public sealed record PretrainResult(string OutputDirectory, string? LastCheckpoint, string? LastReconstruction,
    IReadOnlyList<double> EpochLosses, long PeakRssBytes);

/// <summary>
/// SimMIM pretraining (the reference's main_simmim.py): AdamW with the reference's groups, linear lr scaling,
/// per-step warmup + schedule, gradient clipping and accumulation, checkpoints every SAVE_FREQ epochs and at the
/// end, auto-resume, a log file and a reconstruction grid per epoch.
/// </summary>
public sealed class Pretrainer
{
    private readonly SimMimConfig _config;
    private readonly ResolvedRun _run;
    private readonly PretrainOptions _options;
    private readonly ITrainingObserver _observer;

    public Pretrainer(SimMimConfig config, PretrainOptions? options = null, ITrainingObserver? observer = null)
    {
        ConfigValidator.Validate(config, ConfigStage.Pretrain);
        _config = config;
        _run = ResolvedRun.Resolve(config);
        _options = options ?? new PretrainOptions();
        _observer = observer ?? NullTrainingObserver.Instance;
    }

    public PretrainResult Run(CancellationToken cancellation = default)
    {
        var data = _config.Data;
        var train = _config.Train;
        string outputDir = _run.OutputDir;
        Directory.CreateDirectory(outputDir);
        using var log = new RunLog(Path.Combine(outputDir, "log.txt"));
        using var metrics = new MetricsFile(Path.Combine(outputDir, "metrics.csv"));

        random.manual_seed(_config.Seed);
        IImageDataset dataset = DatasetFactory.Open(data.DataPath);
        using SimMimModel model = ModelFactory.BuildSimMim(_config.Model, data.ImgSize);
        var masks = new MaskGenerator(data.ImgSize, data.MaskPatchSize, model.ModelPatchSize, data.MaskRatio);
        using var loader = new PretrainLoader(dataset, new PretrainTransform(data.ImgSize), masks, data.BatchSize,
            _config.Seed, Math.Max(1, data.NumWorkers));

        int accumulation = Math.Max(1, train.AccumulationSteps);
        int stepsPerEpoch = _options.MaxStepsPerEpoch is int cap ? Math.Min(cap, loader.BatchesPerEpoch) : loader.BatchesPerEpoch;
        var groups = ParamGroups.ForPretraining(model.named_parameters(), model.NoWeightDecay, model.NoWeightDecayKeywords,
            _run.BaseLr, train.WeightDecay);
        using var optimizer = TrainingSetup.CreateOptimizer(groups, train, _run.BaseLr);
        var schedule = TrainingSetup.CreateSchedule(train, _run, stepsPerEpoch);
        var trainStep = new TrainStep(optimizer, groups, schedule, accumulation, train.ClipGrad);
        string configYaml = ConfigWriter.ToYaml(_config);
        File.WriteAllText(Path.Combine(outputDir, "config.yaml"), configYaml);

        var position = TrainingSetup.Resume(_options.ResumePath, _config, outputDir, model, optimizer, trainStep, log);
        int startEpoch = position.StartEpoch;
        long globalStep = position.GlobalStep;
        string? resumeFrom = position.ResumedFrom;

        long parameterCount = groups.Sum(g => g.Parameters.Sum(p => p.numel()));
        _observer.RunStarted(new RunStartInfo(outputDir, parameterCount, startEpoch, train.Epochs, stepsPerEpoch,
            dataset.Count, resumeFrom, get_num_threads()));
        log.Write($"model {_config.Model.Type} {_config.Model.Name}: {parameterCount:N0} parameters; data {data.DataPath} " +
                  $"({dataset.Count} images); batch {data.BatchSize}×{accumulation}; lr {_run.BaseLr:G4} " +
                  $"(warmup {_run.WarmupLr:G4}, min {_run.MinLr:G4}); epochs {startEpoch}..{train.Epochs - 1}");

        var precision = TrainingSetup.ChoosePrecision(_config, _options.Precision, log, _observer);

        var gridSamples = ReconstructionSamples.Take(dataset, data.ImgSize, masks, _options.GridImages, _config.Seed);
        var meter = new StepMeter(_observer, metrics, log, data.BatchSize, stepsPerEpoch, _config.PrintFreq);
        var epochLosses = new List<double>();
        string? lastCheckpoint = resumeFrom, lastGrid = null;

        for (int epoch = startEpoch; epoch < train.Epochs && !cancellation.IsCancellationRequested; epoch++)
        {
            model.train();
            var epochClock = Stopwatch.StartNew();
            double lossSum = 0;
            int step = 0;
            meter.StartEpoch();
            foreach (PretrainBatch batch in loader.Epoch(epoch))
            {
                if (step >= stepsPerEpoch || cancellation.IsCancellationRequested)
                {
                    batch.Dispose();
                    break;
                }
                double loss;
                using (var scope = NewDisposeScope())
                using (batch)
                {
                    SimMimOutput output;
                    using (Autocast.Enable(precision.Precision))
                        output = model.call(batch.Images, batch.Masks);
                    loss = output.Loss.item<float>();
                    trainStep.Run(output.Loss, step, stepsPerEpoch, globalStep);
                }
                if (!double.IsFinite(loss))
                    throw new SimMimUserException(
                        $"loss is {loss} at epoch {epoch} step {step}; stopping. The last good checkpoint is {lastCheckpoint ?? "(none)"}");

                lossSum += loss;
                step++;
                globalStep++;
                meter.Step(epoch, step, globalStep, loss, trainStep.LastLr, trainStep.LastGradNorm);
            }
            if (step == 0) break;

            double meanLoss = lossSum / step;
            epochLosses.Add(meanLoss);
            lastGrid = Path.Combine(outputDir, $"reconstruction_epoch_{epoch}.png");
            ReconstructionGrid.Write(model, gridSamples, lastGrid);

            bool finishedEpoch = !cancellation.IsCancellationRequested || step == stepsPerEpoch;
            string? checkpointPath = null;
            if (finishedEpoch && (epoch % _config.SaveFreq == 0 || epoch == train.Epochs - 1))
            {
                checkpointPath = Path.Combine(outputDir, TrainingCheckpoint.FileName(epoch));
                TrainingCheckpoint.Save(checkpointPath, model, optimizer,
                    new TrainingState(epoch, globalStep, trainStep.LastScheduleUpdate, configYaml));
                lastCheckpoint = checkpointPath;
            }
            long rss = ProcessMemory.ResidentBytes();
            double epochImagesPerSecond = step * data.BatchSize / epochClock.Elapsed.TotalSeconds;
            log.Write($"epoch {epoch} done: mean loss {meanLoss:F4}, {epochClock.Elapsed.TotalSeconds:F1} s, " +
                      $"{epochImagesPerSecond:F1} img/s, rss {rss / 1048576} MiB" +
                      (checkpointPath is null ? "" : $", saved {checkpointPath}"));
            _observer.EpochFinished(new EpochReport(epoch, meanLoss, epochClock.Elapsed, epochImagesPerSecond, rss, checkpointPath, lastGrid));
        }
        gridSamples.Dispose();
        return new PretrainResult(outputDir, lastCheckpoint, lastGrid, epochLosses, ProcessMemory.PeakResidentBytes());
    }
}
