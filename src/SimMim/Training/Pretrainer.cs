using System.Diagnostics;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Distributed;
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
/// <param name="OutputDirectory">OUTPUT/MODEL.NAME/TAG.</param>
/// <param name="LastCheckpoint">The newest checkpoint written or resumed from.</param>
/// <param name="LastReconstruction">The newest reconstruction grid.</param>
/// <param name="EpochLosses">Mean training loss of each epoch run.</param>
/// <param name="PeakRssBytes">Peak resident memory of the process.</param>
/// <param name="Interrupted">The run was cancelled and stopped early, after writing a checkpoint where it stopped.</param>
/// <param name="SaveFailure">Why the last checkpoint write failed (null when it succeeded).</param>
public sealed record PretrainResult(string OutputDirectory, string? LastCheckpoint, string? LastReconstruction,
    IReadOnlyList<double> EpochLosses, long PeakRssBytes, bool Interrupted = false, string? SaveFailure = null);

/// <summary>
/// SimMIM pretraining (the reference's main_simmim.py): AdamW with the reference's groups, linear lr scaling,
/// per-step warmup + schedule, gradient clipping and accumulation, checkpoints every SAVE_FREQ epochs and at the
/// end (and every SAVE_STEPS steps), auto-resume that continues mid-epoch exactly where a checkpoint was taken, a log
/// file and a reconstruction grid per epoch. Failures it survives are in docs/RELIABILITY.md.
/// </summary>
public sealed class Pretrainer
{
    private readonly SimMimConfig _config;
    private readonly ResolvedRun _run;
    private readonly PretrainOptions _options;
    private readonly ITrainingObserver _observer;
    private readonly IProcessGroup _group;

    /// <param name="config">The run's configuration.</param>
    /// <param name="options">Resume point, epoch length, precision, reporting.</param>
    /// <param name="observer">Progress; only rank 0's is called.</param>
    /// <param name="group">The data-parallel processes this one belongs to; null = this process alone.</param>
    /// <exception cref="ConfigException">Invalid config, or MODEL.NAME / TAG not a single folder name.</exception>
    /// <exception cref="CheckpointException">The named resume checkpoint is missing (or a folder).</exception>
    public Pretrainer(SimMimConfig config, PretrainOptions? options = null, ITrainingObserver? observer = null,
        IProcessGroup? group = null)
    {
        _group = group ?? SingleProcessGroup.Instance;
        ConfigValidator.ValidateRun(config, ConfigStage.Pretrain, training: true, processesOnThisMachine: _group.LocalSize);
        _options = options ?? new PretrainOptions();
        if (_options.MaxStepsPerEpoch is int steps)
            OptionRanges.StepsPerEpoch.Require("--steps-per-epoch", steps);
        _config = config;
        _run = ResolvedRun.Resolve(config, _group.WorldSize);
        _observer = observer ?? NullTrainingObserver.Instance;
        // A named checkpoint that is not there fails now, not after the data and the model are ready.
        TrainingSetup.ExplicitResumePath(_options.ResumePath, config);
    }

    /// <summary>
    /// Runs the epochs left. A cancelled token (SIGINT/SIGTERM in the CLI) ends the run after the current optimizer
    /// step, with a checkpoint written there; the result then has <see cref="PretrainResult.Interrupted"/> set.
    /// </summary>
    /// <exception cref="SimMimUserException">Too many non-finite steps in a row, unreadable data, or the final
    /// checkpoint could not be written (the previous one is named and intact).</exception>
    public PretrainResult Run(CancellationToken cancellation = default)
    {
        var data = _config.Data;
        var train = _config.Train;
        string outputDir = _run.OutputDir;
        using var parallel = new DataParallel(_group, cancellation);
        cancellation = parallel.Token;
        var observer = parallel.Observer(_observer);
        // First, before any work: the folder takes files and no other run writes to it.
        using var runDirectory = parallel.OpenRunDirectory(outputDir, observer);
        var log = runDirectory.Log;

        random.manual_seed(_config.Seed);
        IImageDataset dataset = DatasetFactory.Open(data.DataPath);
        TrainingSetup.ReportDataWarnings(log, observer, dataset);
        using SimMimModel model = ModelFactory.BuildSimMim(_config.Model, data.ImgSize);
        IMaskGenerator masks = MaskGenerators.FromConfig(data, model.ModelPatchSize);
        using var loader = new PretrainLoader(dataset, new PretrainTransform(data.ImgSize), masks, data.BatchSize,
            _config.Seed, Math.Max(1, data.NumWorkers), maxBadFraction: data.MaxBadFraction, sampler: parallel.Sampler);

        int accumulation = Math.Max(1, train.AccumulationSteps);
        int stepsPerEpoch = _options.MaxStepsPerEpoch is int cap ? Math.Min(cap, loader.BatchesPerEpoch) : loader.BatchesPerEpoch;
        var groups = ParamGroups.ForPretraining(model.named_parameters(), model.NoWeightDecay, model.NoWeightDecayKeywords,
            _run.BaseLr, train.WeightDecay);
        using var optimizer = TrainingSetup.CreateOptimizer(groups, train, _run.BaseLr);
        var schedule = TrainingSetup.CreateSchedule(train, _run, stepsPerEpoch);
        var trainStep = new TrainStep(optimizer, groups, schedule, accumulation, train.ClipGrad,
            parallel.Reducer(groups.SelectMany(g => g.Parameters)));
        string configYaml = ConfigWriter.ToYaml(_config);

        var position = TrainingSetup.Resume(_options.ResumePath, _config, outputDir, model, optimizer, trainStep, stepsPerEpoch, log, observer);
        int startEpoch = position.StartEpoch;
        parallel.Start(model, position, data.BatchSize, log);
        // Only now that the checkpoint fits and the ranks agree: a run refused above leaves the folder's files as they were.
        runDirectory.WriteConfig(configYaml);
        using var metrics = runDirectory.OpenMetrics(position.GlobalStep);
        var checkpoints = new RunCheckpoints(outputDir, _config, model, optimizer, log, observer, position, writes: parallel.IsMain);

        long parameterCount = groups.Sum(g => g.Parameters.Sum(p => p.numel()));
        observer.RunStarted(new RunStartInfo(outputDir, parameterCount, startEpoch, train.Epochs, stepsPerEpoch,
            dataset.Count, position.ResumedFrom, get_num_threads()));
        log.Write($"model {_config.Model.Type} {_config.Model.Name}: {parameterCount:N0} parameters; data {data.DataPath} " +
                  $"({dataset.Count} images); batch {data.BatchSize}×{accumulation}; lr {_run.BaseLr:G4} " +
                  $"(warmup {_run.WarmupLr:G4}, min {_run.MinLr:G4}); epochs {startEpoch}..{train.Epochs - 1}" +
                  (position.StepInEpoch > 0 ? $" (epoch {startEpoch} from step {position.StepInEpoch})" : ""));

        var precision = TrainingSetup.ChoosePrecision(_config, _options.Precision, log, observer);

        // Rank 0 alone draws the reconstruction grids.
        var gridSamples = parallel.IsMain
            ? ReconstructionSamples.Take(dataset, data.ImgSize, masks, _options.GridImages, _config.Seed, loader.Skipped)
            : null;
        int globalBatch = data.BatchSize * parallel.WorldSize;
        var meter = new StepMeter(observer, metrics, log, globalBatch, stepsPerEpoch, _config.PrintFreq);
        var progress = new EpochProgress(checkpoints, new NonFiniteGuard(train.MaxNonfiniteSteps), meter, trainStep, log, observer,
            position, stepsPerEpoch, configYaml);
        var epochLosses = new List<double>();
        string? lastGrid = null;
        bool interrupted = false;

        for (int epoch = startEpoch; epoch < train.Epochs && !interrupted; epoch++)
        {
            model.train();
            var epochClock = Stopwatch.StartNew();
            progress.StartEpoch(epoch);
            int firstStep = progress.Step;
            foreach (PretrainBatch batch in progress.Remaining(loader.Epoch(epoch, skipBatches: firstStep)))
            {
                double loss;
                StepSeeds.SeedTorch(_config.Seed + _group.Rank, progress.GlobalStep);   // per rank, like the reference's SEED + rank
                using (var scope = NewDisposeScope())
                using (batch)
                {
                    SimMimOutput output;
                    using (Autocast.Enable(precision.Precision))
                        output = model.call(batch.Images, batch.Masks);
                    // The mean over the ranks: every rank logs it and skips a non-finite step alike.
                    loss = parallel.StepLoss(output.Loss.item<float>());
                    trainStep.Run(output.Loss, progress.Step, stepsPerEpoch, progress.GlobalStep, double.IsFinite(loss));
                }
                interrupted = progress.AfterStep(epoch, loss, loader.Skipped, maxAccuracy: 0, cancellation);
                if (interrupted) break;
            }
            if (interrupted) break;

            double meanLoss = progress.MeanLoss;
            epochLosses.Add(meanLoss);
            if (gridSamples is not null)
            {
                string grid = Path.Combine(outputDir, $"reconstruction_epoch_{epoch}.png");
                try
                {
                    ReconstructionGrid.Write(model, gridSamples, grid);
                    lastGrid = grid;
                }
                catch (OutputException e)
                {
                    // Like a failed checkpoint write: said, and the run goes on to its checkpoint.
                    progress.Warn(e.Message);
                }
            }
            interrupted = cancellation.IsCancellationRequested;
            string? checkpointPath = progress.EndEpoch(epoch, loader.Skipped, maxAccuracy: 0, interrupted);
            if (parallel.EpochSummary(model, epochClock.Elapsed) is { } summary) log.Write(summary);
            long rss = ProcessMemory.ResidentBytes();
            double epochImagesPerSecond = (progress.Step - firstStep) * globalBatch / epochClock.Elapsed.TotalSeconds;
            log.Write($"epoch {epoch} done: mean loss {meanLoss:F4}, {epochClock.Elapsed.TotalSeconds:F1} s, " +
                      $"{epochImagesPerSecond:F1} img/s, rss {rss / 1048576} MiB" +
                      (checkpointPath is null ? "" : $", saved {checkpointPath}") + progress.SkippedSummary);
            observer.EpochFinished(new EpochReport(epoch, meanLoss, epochClock.Elapsed, epochImagesPerSecond, rss, checkpointPath, lastGrid));
        }
        gridSamples?.Dispose();
        progress.Finish(interrupted);
        return new PretrainResult(outputDir, checkpoints.LastGood, lastGrid, epochLosses, ProcessMemory.PeakResidentBytes(),
            interrupted, checkpoints.LastFailure);
    }
}
