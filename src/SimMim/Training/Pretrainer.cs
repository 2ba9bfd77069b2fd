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
    private readonly LoopSpec _spec;
    private readonly PretrainOptions _options;

    /// <param name="config">The run's configuration.</param>
    /// <param name="options">Resume point, epoch length, precision, reporting.</param>
    /// <param name="observer">Progress; only rank 0's is called.</param>
    /// <param name="group">The data-parallel processes this one belongs to; null = this process alone.</param>
    /// <exception cref="ConfigException">Invalid config, or MODEL.NAME / TAG not a single folder name.</exception>
    /// <exception cref="CheckpointException">The named resume checkpoint is missing (or a folder).</exception>
    public Pretrainer(SimMimConfig config, PretrainOptions? options = null, ITrainingObserver? observer = null,
        IProcessGroup? group = null) : this(config, options, observer is null ? [] : [observer], group) { }

    /// <summary>A pretrainer that reports to each of <paramref name="observers"/> (e.g. the console and TensorBoard).</summary>
    public Pretrainer(SimMimConfig config, PretrainOptions? options, IEnumerable<ITrainingObserver> observers,
        IProcessGroup? group = null)
    {
        group ??= SingleProcessGroup.Instance;
        ConfigValidator.ValidateRun(config, ConfigStage.Pretrain, training: true, processesOnThisMachine: group.LocalSize);
        _options = options ?? new PretrainOptions();
        if (_options.MaxStepsPerEpoch is int steps)
            OptionRanges.StepsPerEpoch.Require("--steps-per-epoch", steps);
        // A named checkpoint that is not there fails now, not after the data and the model are ready.
        _spec = new LoopSpec(config, ResolvedRun.Resolve(config, group.WorldSize), group, observers.ToList(),
            RunPosition.ExplicitResumePath(_options.ResumePath, config), Math.Max(1, config.Train.AccumulationSteps), _options.Precision);
    }

    /// <summary>
    /// Runs the epochs left. A cancelled token (SIGINT/SIGTERM in the CLI) ends the run after the current optimizer
    /// step, with a checkpoint written there; the result then has <see cref="PretrainResult.Interrupted"/> set.
    /// </summary>
    /// <exception cref="SimMimUserException">Too many non-finite steps in a row, unreadable data, or the final
    /// checkpoint could not be written (the previous one is named and intact).</exception>
    public PretrainResult Run(CancellationToken cancellation = default)
    {
        PretrainTask? task = null;
        var result = TrainingLoop<PretrainBatch>.Run(_spec, context => task = new PretrainTask(_options, context), cancellation);
        return new PretrainResult(result.OutputDirectory, result.LastCheckpoint, task!.LastGrid, result.EpochLosses,
            ProcessMemory.PeakResidentBytes(), result.Interrupted, result.SaveFailure);
    }

    // Pretraining as a task of the loop: SimMIM's masked-image loss; a reconstruction grid after every epoch.
    private sealed class PretrainTask : ITrainingTask<PretrainBatch>
    {
        private readonly TaskContext _context;
        private readonly SimMimModel _model;
        private readonly PretrainLoader _loader;
        private readonly ReconstructionSamples? _gridSamples;

        public PretrainTask(PretrainOptions options, TaskContext context)
        {
            var (config, data) = (context.Config, context.Config.Data);
            _context = context;
            random.manual_seed(config.Seed);
            IImageDataset dataset = DatasetFactory.Open(data.DataPath);
            RunData.ReportWarnings(context.Reporter, dataset);
            TrainImages = dataset.Count;
            _model = ModelFactory.BuildSimMim(config.Model, data.ImgSize);
            try
            {
                IMaskGenerator masks = MaskGenerators.FromConfig(data, _model.ModelPatchSize);
                _loader = new PretrainLoader(dataset, new PretrainTransform(data.ImgSize), masks, data.BatchSize, config.Seed,
                    Math.Max(1, data.NumWorkers), maxBadFraction: data.MaxBadFraction, sampler: context.Sampler);
                StepsPerEpoch = options.MaxStepsPerEpoch is int cap ? Math.Min(cap, _loader.BatchesPerEpoch) : _loader.BatchesPerEpoch;
                Groups = ParamGroups.ForPretraining(_model.named_parameters(), _model.NoWeightDecay, _model.NoWeightDecayKeywords,
                    context.Run.BaseLr, config.Train.WeightDecay);
                // Rank 0 alone draws the reconstruction grids.
                _gridSamples = context.Group.IsMain
                    ? ReconstructionSamples.Take(dataset, data.ImgSize, masks, options.GridImages, config.Seed, _loader.Skipped)
                    : null;
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public nn.Module Model => _model;
        public IReadOnlyList<ParamGroup> Groups { get; }
        public int StepsPerEpoch { get; }
        public int TrainImages { get; }
        public SkippedSamples Skipped => _loader.Skipped;
        public string? LastGrid { get; private set; }

        public string Describe(RunPosition start, long parameterCount)
        {
            var (config, run) = (_context.Config, _context.Run);
            return $"model {config.Model.Type} {config.Model.Name}: {parameterCount:N0} parameters; data {config.Data.DataPath} " +
                   $"({TrainImages} images); batch {config.Data.BatchSize}×{_context.Spec.Accumulation}; lr {run.BaseLr:G4} " +
                   $"(warmup {run.WarmupLr:G4}, min {run.MinLr:G4}); epochs {start.StartEpoch}..{config.Train.Epochs - 1}" +
                   (start.StepInEpoch > 0 ? $" (epoch {start.StartEpoch} from step {start.StepInEpoch})" : "");
        }

        public IEnumerable<PretrainBatch> Batches(int epoch, int skip)
        {
            _model.train();
            return _loader.Epoch(epoch, skipBatches: skip);
        }

        public Tensor Loss(PretrainBatch batch, long globalStep, Precision precision)
        {
            using (Autocast.Enable(precision))
                return _model.call(batch.Images, batch.Masks).Loss;
        }

        public EpochExtras EndEpoch(int epoch, bool stopRequested)
        {
            if (_gridSamples is null) return new EpochExtras();
            string grid = Path.Combine(_context.Run.OutputDir, $"reconstruction_epoch_{epoch}.png");
            try
            {
                ReconstructionGrid.Write(_model, _gridSamples, grid);
                LastGrid = grid;
            }
            catch (OutputException e)
            {
                // Like a failed checkpoint write: said, and the run goes on to its checkpoint.
                _context.Reporter.Warning(e.Message);
            }
            return new EpochExtras(Reconstruction: LastGrid);
        }

        public string Summary(EpochReport report, EpochExtras extras, double trainSeconds) =>
            $"mean loss {report.MeanLoss:F4}, {trainSeconds:F1} s, {report.ImagesPerSecond:F1} img/s, rss {report.RssBytes / 1048576} MiB";

        public void Dispose()
        {
            _gridSamples?.Dispose();
            _loader?.Dispose();
            _model.Dispose();
        }
    }
}
