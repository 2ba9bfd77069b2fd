using SimMim.IO;

namespace SimMim.Config;

/// <summary>
/// Values derived once from a loaded config and the number of processes, so that nothing downstream recomputes or
/// changes them: the output folder and the linearly scaled learning rates (spec §4.3).
/// </summary>
/// <param name="OutputDir">OUTPUT (or "output") / MODEL.NAME / TAG, as the reference builds it.</param>
/// <param name="WorldSize">Number of data-parallel processes.</param>
/// <param name="AccumulationSteps">Micro-batches per optimizer step: max(TRAIN.ACCUMULATION_STEPS, 1).</param>
/// <param name="TotalBatchSize">Images per optimizer step: DATA.BATCH_SIZE × world size × accumulation.</param>
/// <param name="LrScale">DATA.BATCH_SIZE × world size / 512, times accumulation when it is above 1.</param>
/// <param name="BaseLr">TRAIN.BASE_LR × LrScale.</param>
/// <param name="WarmupLr">TRAIN.WARMUP_LR × LrScale.</param>
/// <param name="MinLr">TRAIN.MIN_LR × LrScale.</param>
public sealed record ResolvedRun(
    string OutputDir,
    int WorldSize,
    int AccumulationSteps,
    int TotalBatchSize,
    double LrScale,
    double BaseLr,
    double WarmupLr,
    double MinLr)
{
    /// <summary>The learning rates in the config are per 512 images; this scales them to the real batch.</summary>
    /// <exception cref="ConfigException">MODEL.NAME or TAG is not a single folder name.</exception>
    public static ResolvedRun Resolve(SimMimConfig config, int worldSize = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        TrainConfig train = config.Train;
        int accumulation = Math.Max(train.AccumulationSteps, 1);

        // Same order of operations as the reference's main_simmim.py, so the doubles match bit for bit.
        double Scale(double lr)
        {
            double scaled = lr * config.Data.BatchSize * worldSize / 512.0;
            return train.AccumulationSteps > 1 ? scaled * train.AccumulationSteps : scaled;
        }

        // Each is one folder of the output path: "../x" would write outside OUTPUT.
        UserPaths.RequireFolderName(config.Model.Name, "MODEL.NAME");
        UserPaths.RequireFolderName(config.Tag, "TAG");
        string output = string.IsNullOrEmpty(config.Output) ? "output" : config.Output;
        return new ResolvedRun(
            OutputDir: Path.Combine(output, config.Model.Name, config.Tag),
            WorldSize: worldSize,
            AccumulationSteps: accumulation,
            TotalBatchSize: config.Data.BatchSize * worldSize * accumulation,
            LrScale: Scale(1.0),
            BaseLr: Scale(train.BaseLr),
            WarmupLr: Scale(train.WarmupLr),
            MinLr: Scale(train.MinLr));
    }
}
