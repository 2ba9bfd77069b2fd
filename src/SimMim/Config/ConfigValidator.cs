using SimMim.Hardware;
using SimMim.Models;

namespace SimMim.Config;

/// <summary>
/// Checks a config before anything is built: every numeric key against its range (<see cref="ConfigRanges"/>),
/// sizes that must divide, names the trainer knows, cross-key rules, the model's geometry and, for a run on this
/// machine, whether it can fit in memory (<see cref="MemoryEstimate"/>). The reference asserts some of these deep in
/// its code (mask sizes, multistep milestones) or silently returns None (an unknown optimizer); here they fail at
/// load time with the keys and values involved.
/// </summary>
public static class ConfigValidator
{
    private static readonly string[] s_schedulers = ["cosine", "multistep", "step", "linear"];
    private static readonly string[] s_optimizers = ["adamw", "sgd"];

    /// <summary>DATA.INTERPOLATION values: only bicubic is implemented (the fine-tuning transforms use it, as the
    /// reference's default does); the reference/timm's bilinear, nearest and random are refused rather than ignored.</summary>
    public static IReadOnlyList<string> Interpolations { get; } = ["bicubic"];

    /// <summary>AMP_OPT_LEVEL values: '' and O0 = fp32; O1 and O2 = mixed precision (bf16 on a CPU that has it).</summary>
    public static IReadOnlyList<string> AmpOptLevels { get; } = ["", "O0", "O1", "O2"];

    /// <summary>Throws one <see cref="ConfigException"/> listing every violation (joined by "; ").</summary>
    public static void Validate(SimMimConfig config, ConfigStage stage)
    {
        ArgumentNullException.ThrowIfNull(config);
        List<string> problems = Check(config, stage);
        if (problems.Count > 0)
        {
            throw new ConfigException("invalid config: " + string.Join("; ", problems));
        }
    }

    /// <summary>
    /// <see cref="Validate"/>, then refuses a run whose lower-bound memory estimate is more than this machine has
    /// available. Call it first thing, before any file, model or data set is opened.
    /// </summary>
    /// <param name="config">The run's config.</param>
    /// <param name="stage">Pretraining or a labelled run.</param>
    /// <param name="training">The run backpropagates (false: evaluation, frozen features, reconstruction).</param>
    /// <param name="batch">Images per step when it is not DATA.BATCH_SIZE.</param>
    /// <param name="processesOnThisMachine">Data-parallel processes sharing this machine's memory.</param>
    public static void ValidateRun(SimMimConfig config, ConfigStage stage, bool training, int? batch = null,
        int processesOnThisMachine = 1)
    {
        Validate(config, stage);
        MemoryEstimate.For(config, stage, training, batch).Require(AvailableMemory.Bytes(), config, processesOnThisMachine);
    }

    internal static List<string> Check(SimMimConfig config, ConfigStage stage)
    {
        var problems = ConfigRanges.Check(config);
        void Require(bool ok, string message)
        {
            if (!ok)
            {
                problems.Add(message);
            }
        }

        DataConfig data = config.Data;
        ModelConfig model = config.Model;
        TrainConfig train = config.Train;

        EncoderFamily? family = EncoderRegistry.Find(model.Type);
        Require(family is not null,
            $"MODEL.TYPE must be one of {string.Join(", ", EncoderRegistry.Types)}, got '{model.Type}'");
        int patch = family?.PatchSize(model) ?? 0;
        if (patch >= 1 && data.ImgSize >= 1 && family?.PatchProblem(model, data.ImgSize) is string patchProblem)
        {
            problems.Add(patchProblem);
        }

        if (stage == ConfigStage.Pretrain)
        {
            int mask = data.MaskPatchSize;
            if (mask >= 1 && data.ImgSize >= 1 && (family is null || patch >= 1))
            {
                Require(data.ImgSize % mask == 0,
                    $"DATA.IMG_SIZE ({data.ImgSize}) must be a multiple of DATA.MASK_PATCH_SIZE ({mask})");
                Require(family is null || mask % patch == 0,
                    $"DATA.MASK_PATCH_SIZE ({mask}) must be a multiple of {family?.PatchKey} ({patch})");
            }
        }
        else
        {
            Require(model.NumClasses >= 1, $"MODEL.NUM_CLASSES must be at least 1, got {model.NumClasses}");
            IReadOnlyList<double> scale = config.Aug.Scale;
            Require(scale.Count == 2 && scale[0] <= scale[1],
                $"AUG.SCALE must be two numbers 0 < min <= max <= 1, got [{string.Join(", ", scale)}]");
            // timm's rand_bbox_minmax draws a box side between the two fractions.
            if (config.Aug.CutmixMinmax is { } minmax)
            {
                Require(minmax.Count == 2 && minmax[0] < minmax[1],
                    $"AUG.CUTMIX_MINMAX must be None or two numbers 0 <= min < max <= 1, got [{string.Join(", ", minmax)}]");
            }
        }
        // Pretraining does not read it (nor does the reference's), but it is written to every run's config.yaml.
        Require(Interpolations.Contains(data.Interpolation),
            $"DATA.INTERPOLATION must be {string.Join(" or ", Interpolations)} (the reference's bilinear, nearest and random " +
            $"are not implemented), got '{data.Interpolation}'");

        problems.AddRange(family?.KeyProblems(model) ?? []);

        Require(train.WarmupEpochs <= train.Epochs,
            $"TRAIN.WARMUP_EPOCHS ({train.WarmupEpochs}) must not exceed TRAIN.EPOCHS ({train.Epochs})");
        Require(train.StartEpoch < train.Epochs,
            $"TRAIN.START_EPOCH ({train.StartEpoch}) must be below TRAIN.EPOCHS ({train.Epochs}), or nothing is trained");
        Require(AmpOptLevels.Contains(config.AmpOptLevel),
            $"AMP_OPT_LEVEL must be '', O0, O1 or O2, got '{config.AmpOptLevel}'");

        LrSchedulerConfig scheduler = train.LrScheduler;
        Require(s_schedulers.Contains(scheduler.Name),
            $"TRAIN.LR_SCHEDULER.NAME must be one of {string.Join(", ", s_schedulers)}, got '{scheduler.Name}'");
        if (scheduler.Name == "multistep")
        {
            // The reference's MultiStepLRScheduler asserts warmup_t <= min(milestones).
            Require(scheduler.Multisteps.Count >= 1,
                "TRAIN.LR_SCHEDULER.MULTISTEPS must list at least one epoch for the multistep scheduler");
            if (scheduler.Multisteps.Count >= 1)
            {
                Require(train.WarmupEpochs <= scheduler.Multisteps.Min(),
                    $"TRAIN.WARMUP_EPOCHS ({train.WarmupEpochs}) must not exceed the first of "
                    + $"TRAIN.LR_SCHEDULER.MULTISTEPS ([{string.Join(", ", scheduler.Multisteps)}])");
            }
        }

        OptimizerConfig optimizer = train.Optimizer;
        Require(s_optimizers.Contains(optimizer.Name),
            $"TRAIN.OPTIMIZER.NAME must be one of {string.Join(", ", s_optimizers)}, got '{optimizer.Name}'");
        Require(optimizer.Betas.Count == 2,
            $"TRAIN.OPTIMIZER.BETAS must have 2 items, got {optimizer.Betas.Count}: [{string.Join(", ", optimizer.Betas)}]");
        // The trainer's SGD is Nesterov's, which torch refuses without momentum.
        Require(optimizer.Name != "sgd" || optimizer.Momentum > 0,
            $"TRAIN.OPTIMIZER.MOMENTUM must be above 0 for sgd (Nesterov momentum), got {optimizer.Momentum}");

        // The model's own geometry (heads per stage width, windows per stage grid) once its keys are each valid.
        if (problems.Count == 0 && family is not null)
        {
            problems.AddRange(family.Problems(model, data.ImgSize));
        }
        return problems;
    }
}
