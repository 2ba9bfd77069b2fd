using SimMim.Config;
using SimMim.Data;
using SimMim.Hardware;
using SimMim.Masking;
using SimMim.Models;
using SimMim.Models.Layers;
using SimMim.Training;
using static TorchSharp.torch;

namespace SimMim.Benchmarking;

/// <summary>
/// The counterpart of the reference's <c>--throughput</c>, for pretraining: training and inference images/s of the
/// config's model on a synthetic batch of its size, the input pipeline on real image files, peak memory, analytic
/// FLOPs and their utilisation of this machine's measured matmul rate.
/// </summary>
public static class Benchmark
{
    /// <param name="config">The run's config (DATA.BATCH_SIZE, DATA.IMG_SIZE, MODEL.*, TRAIN.* for AdamW).</param>
    /// <param name="configName">How the result names the config (its file).</param>
    /// <param name="options">Precision, threads and step counts.</param>
    /// <param name="progress">Told the name of each phase as it starts.</param>
    /// <exception cref="ConfigException">An invalid config.</exception>
    /// <exception cref="DataException">DATA.DATA_PATH is missing or smaller than one batch.</exception>
    public static BenchmarkResult Run(SimMimConfig config, string configName, BenchmarkOptions options, Action<string>? progress = null)
    {
        ConfigValidator.ValidateRun(config, ConfigStage.Pretrain, training: true);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Steps, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.WarmupSteps);
        var data = config.Data;
        int batch = data.BatchSize, size = data.ImgSize;
        // The input pipeline's data first: a missing data path or an unwritable temporary folder fails before minutes of timing.
        using var input = BenchmarkInput.Open(data, config.Seed);

        random.manual_seed(config.Seed);
        using SimMimModel model = ModelFactory.BuildSimMim(config.Model, size);
        IMaskGenerator masks = MaskGenerators.FromConfig(data, model.ModelPatchSize);
        var run = ResolvedRun.Resolve(config);
        var groups = ParamGroups.ForPretraining(model.named_parameters(), model.NoWeightDecay, model.NoWeightDecayKeywords,
            run.BaseLr, config.Train.WeightDecay);
        var parameters = groups.SelectMany(g => g.Parameters).ToList();
        using var optimizer = OptimizerFactory.CreateOptimizer(groups, config.Train, run.BaseLr);

        StepTimings train;
        double inferenceMs;
        using (var inputs = NewDisposeScope())
        {
            var images = randn(batch, 3, size, size);   // (B, 3, S, S), like normalised pixels
            var maskTensor = SyntheticMasks(masks, batch, config.Seed);
            progress?.Invoke("training steps");
            train = ModelThroughput.Train(model, optimizer, parameters, config.Train.ClipGrad, images, maskTensor,
                options.Precision, options.WarmupSteps, options.Steps);
            progress?.Invoke("inference");
            inferenceMs = ModelThroughput.Infer(model, images, maskTensor, options.Precision, options.WarmupSteps, options.Steps);
        }
        long peakRss = ProcessMemory.PeakResidentBytes();

        progress?.Invoke("matmul rate");
        double fp32Rate = MatmulRate.Measure(ScalarType.Float32, options.MatmulSize, options.MatmulRepeats);
        double? bf16Rate = options.Precision == Precision.Bf16
            ? MatmulRate.Measure(ScalarType.BFloat16, options.MatmulSize, options.MatmulRepeats)
            : null;

        progress?.Invoke("input pipeline");
        int workers = Math.Max(1, data.NumWorkers);
        double inputRate = InputPipelineThroughput.Measure(input.Dataset, new PretrainTransform(data.ImgSize), masks, data.BatchSize,
            workers, options.InputBatches, config.Seed);
        string inputSource = input.Source;

        var flops = ModelFlops.SimMim(config.Model, size);
        double trainRate = batch / (train.StepMs / 1000), inferenceRate = batch / (inferenceMs / 1000);
        double peak = bf16Rate ?? fp32Rate;
        return new BenchmarkResult
        {
            Config = configName,
            ModelType = config.Model.Type,
            ModelName = config.Model.Name,
            ImgSize = size,
            BatchSize = batch,
            Parameters = parameters.Sum(p => p.numel()),
            Threads = options.Threads,
            Precision = options.Precision.Name(),
            Cpu = CpuInfo.Current.ModelName,
            WarmupSteps = options.WarmupSteps,
            Steps = options.Steps,
            TrainImagesPerSec = trainRate,
            TrainStepMs = train.StepMs,
            ForwardMs = train.ForwardMs,
            BackwardMs = train.BackwardMs,
            OptimizerMs = train.OptimizerMs,
            FirstLoss = train.Losses[0],
            LastLoss = train.Losses[^1],
            InferenceImagesPerSec = inferenceRate,
            InputImagesPerSec = inputRate,
            InputSource = inputSource,
            InputWorkers = workers,
            PeakRssBytes = peakRss,
            FlopsPerImageForward = flops.Forward,
            FlopsPerImageTrain = flops.Training,
            TrainFlopsPerSec = trainRate * flops.Training,
            InferenceFlopsPerSec = inferenceRate * flops.Forward,
            MatmulSize = options.MatmulSize,
            MatmulFp32FlopsPerSec = fp32Rate,
            MatmulBf16FlopsPerSec = bf16Rate,
            Mfu = trainRate * flops.Training / peak,
            InferenceMfu = inferenceRate * flops.Forward / peak,
        };
    }

    /// <summary>(B, S/p, S/p) int64 masks drawn by the run's mask generator.</summary>
    private static Tensor SyntheticMasks(IMaskGenerator masks, int batch, int seed)
    {
        var values = new long[batch * masks.TokenCount];
        var rng = new Random(seed);
        for (int i = 0; i < batch; i++)
            masks.Generate(rng, values.AsSpan(i * masks.TokenCount, masks.TokenCount));
        return tensor(values, [batch, masks.TokenGrid, masks.TokenGrid]);
    }
}
