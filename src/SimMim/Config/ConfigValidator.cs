namespace SimMim.Config;

/// <summary>
/// Cross-key checks that need no model: sizes that must divide, ranges, names the trainer knows. The reference
/// asserts some of these deep in its code (mask sizes, multistep milestones) or silently returns None (an unknown
/// optimizer); here they fail at load time with the keys and values involved.
/// </summary>
public static class ConfigValidator
{
    private static readonly string[] s_modelTypes = ["swin", "vit"];
    private static readonly string[] s_schedulers = ["cosine", "multistep", "step", "linear"];
    private static readonly string[] s_optimizers = ["adamw", "sgd"];

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

    internal static List<string> Check(SimMimConfig config, ConfigStage stage)
    {
        var problems = new List<string>();
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

        Require(s_modelTypes.Contains(model.Type),
            $"MODEL.TYPE must be one of {string.Join(", ", s_modelTypes)}, got '{model.Type}'");
        bool isVit = model.Type == "vit";
        string patchKey = isVit ? "MODEL.VIT.PATCH_SIZE" : "MODEL.SWIN.PATCH_SIZE";
        int patch = isVit ? model.Vit.PatchSize : model.Swin.PatchSize;
        Require(patch >= 1, $"{patchKey} must be at least 1, got {patch}");
        Require(data.ImgSize >= 1, $"DATA.IMG_SIZE must be at least 1, got {data.ImgSize}");
        if (patch >= 1)
        {
            Require(data.ImgSize % patch == 0,
                $"DATA.IMG_SIZE ({data.ImgSize}) must be a multiple of {patchKey} ({patch})");
        }

        if (stage == ConfigStage.Pretrain)
        {
            int mask = data.MaskPatchSize;
            Require(mask >= 1, $"DATA.MASK_PATCH_SIZE must be at least 1, got {mask}");
            if (mask >= 1 && patch >= 1)
            {
                Require(data.ImgSize % mask == 0,
                    $"DATA.IMG_SIZE ({data.ImgSize}) must be a multiple of DATA.MASK_PATCH_SIZE ({mask})");
                Require(mask % patch == 0,
                    $"DATA.MASK_PATCH_SIZE ({mask}) must be a multiple of {patchKey} ({patch})");
            }
            Require(data.MaskRatio > 0 && data.MaskRatio < 1,
                $"DATA.MASK_RATIO must be between 0 and 1 (exclusive), got {data.MaskRatio}");
        }
        else
        {
            Require(model.NumClasses >= 1, $"MODEL.NUM_CLASSES must be at least 1, got {model.NumClasses}");
            Require(train.LayerDecay > 0 && train.LayerDecay <= 1,
                $"TRAIN.LAYER_DECAY must be in (0, 1], got {train.LayerDecay}");
            IReadOnlyList<double> scale = config.Aug.Scale;
            Require(scale.Count == 2 && scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1,
                $"AUG.SCALE must be two numbers 0 < min <= max <= 1, got [{string.Join(", ", scale)}]");
        }

        if (!isVit)
        {
            Require(model.Swin.Depths.Count == model.Swin.NumHeads.Count,
                $"MODEL.SWIN.DEPTHS ({model.Swin.Depths.Count} stages: [{string.Join(", ", model.Swin.Depths)}]) and "
                + $"MODEL.SWIN.NUM_HEADS ({model.Swin.NumHeads.Count}: [{string.Join(", ", model.Swin.NumHeads)}]) "
                + "must have the same length");
            Require(model.Swin.Depths.Count >= 1, "MODEL.SWIN.DEPTHS must list at least one stage");
        }

        Require(data.BatchSize >= 1, $"DATA.BATCH_SIZE must be at least 1, got {data.BatchSize}");
        Require(train.Epochs >= 1, $"TRAIN.EPOCHS must be at least 1, got {train.Epochs}");
        Require(train.WarmupEpochs >= 0 && train.WarmupEpochs <= train.Epochs,
            $"TRAIN.WARMUP_EPOCHS ({train.WarmupEpochs}) must be between 0 and TRAIN.EPOCHS ({train.Epochs})");
        Require(config.SaveFreq >= 1, $"SAVE_FREQ must be at least 1, got {config.SaveFreq}");
        Require(config.SaveSteps >= 0, $"SAVE_STEPS must be 0 (off) or more, got {config.SaveSteps}");
        Require(config.SaveKeep >= 0, $"SAVE_KEEP must be 0 (keep all) or more, got {config.SaveKeep}");
        Require(data.MaxBadFraction >= 0 && data.MaxBadFraction <= 1,
            $"DATA.MAX_BAD_FRACTION must be between 0 and 1, got {data.MaxBadFraction}");
        Require(train.MaxNonfiniteSteps >= 1, $"TRAIN.MAX_NONFINITE_STEPS must be at least 1, got {train.MaxNonfiniteSteps}");
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
        return problems;
    }
}
