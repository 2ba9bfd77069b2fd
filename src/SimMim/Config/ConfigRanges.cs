using System.Collections;
using static SimMim.Config.ValueRange;

namespace SimMim.Config;

/// <summary>
/// The allowed range of every numeric config key, in one table; list keys (DEPTHS, BETAS …) apply it to each item.
/// A value outside its range is wrong whatever the run (a cross-key or stage check is in
/// <see cref="ConfigValidator"/>). The bounds follow what the reference and timm accept and what makes sense of
/// them: ratios and probabilities in [0, 1], learning rates and decays at least 0, sizes and counts at least 1.
/// A test fails when a numeric key of <see cref="SimMimConfig"/> has no entry here.
/// </summary>
public static class ConfigRanges
{
    /// <summary>The most DATA.NUM_WORKERS: decoding threads beyond this never pay (the reference's configs use 8),
    /// and 10⁵ of them would stall the process creating threads.</summary>
    public const int MaxWorkers = 64;

    private static readonly ValueRange s_probability = Between(0, 1);
    private static readonly ValueRange s_rate = Between(0, 1, maxExclusive: true);

    /// <summary>Full key path (DATA.IMG_SIZE) → range; each encoder family gives those of its section (MODEL.VIT.*).</summary>
    public static IReadOnlyDictionary<string, ValueRange> ByKey { get; } = WithEncoderSections(new Dictionary<string, ValueRange>
    {
        ["SAVE_FREQ"] = Count(1),
        ["SAVE_STEPS"] = Count(0, note: "0 = only at epoch ends"),
        ["SAVE_KEEP"] = Count(0, note: "0 = keep all"),
        ["PRINT_FREQ"] = Count(1),
        // NumPy, which the reference seeds with SEED, takes 0 … 2³²−1.
        ["SEED"] = Count(0),
        ["LOCAL_RANK"] = Count(0),

        ["DATA.BATCH_SIZE"] = Count(1),
        ["DATA.IMG_SIZE"] = Count(1),
        ["DATA.NUM_WORKERS"] = Count(0, MaxWorkers, "0 = decode on the training thread"),
        ["DATA.MASK_PATCH_SIZE"] = Count(1),
        ["DATA.MASK_RATIO"] = Between(0, 1, minExclusive: true, maxExclusive: true),
        ["DATA.MAX_BAD_FRACTION"] = s_probability,

        ["MODEL.NUM_CLASSES"] = Count(0),
        ["MODEL.DROP_RATE"] = s_rate,
        ["MODEL.DROP_PATH_RATE"] = s_rate,
        // timm's LabelSmoothingCrossEntropy asserts smoothing < 1.
        ["MODEL.LABEL_SMOOTHING"] = s_rate,

        ["TRAIN.START_EPOCH"] = Count(0),
        ["TRAIN.EPOCHS"] = Count(1),
        ["TRAIN.WARMUP_EPOCHS"] = Count(0),
        ["TRAIN.WEIGHT_DECAY"] = AtLeast(0),
        ["TRAIN.BASE_LR"] = AtLeast(0),
        ["TRAIN.WARMUP_LR"] = AtLeast(0),
        ["TRAIN.MIN_LR"] = AtLeast(0),
        // A negative max norm would scale the gradients by a negative factor (torch's clip_grad_norm_ does not check).
        ["TRAIN.CLIP_GRAD"] = AtLeast(0, "0 = no clipping"),
        ["TRAIN.ACCUMULATION_STEPS"] = Count(0, note: "0 or 1 = no accumulation"),
        ["TRAIN.LAYER_DECAY"] = Between(0, 1, minExclusive: true),
        ["TRAIN.MAX_NONFINITE_STEPS"] = Count(1),
        // timm's StepLRScheduler divides by the decay period.
        ["TRAIN.LR_SCHEDULER.DECAY_EPOCHS"] = Count(1),
        ["TRAIN.LR_SCHEDULER.DECAY_RATE"] = Between(0, 1, minExclusive: true),
        ["TRAIN.LR_SCHEDULER.GAMMA"] = Between(0, 1, minExclusive: true),
        ["TRAIN.LR_SCHEDULER.MULTISTEPS"] = Count(0),
        ["TRAIN.OPTIMIZER.EPS"] = Positive(),
        // torch.optim.AdamW raises for betas outside [0, 1).
        ["TRAIN.OPTIMIZER.BETAS"] = s_rate,
        ["TRAIN.OPTIMIZER.MOMENTUM"] = s_rate,

        ["AUG.COLOR_JITTER"] = AtLeast(0, "0 = off"),
        ["AUG.SCALE"] = Between(0, 1, minExclusive: true),
        ["AUG.REPROB"] = s_probability,
        ["AUG.RECOUNT"] = Count(1),
        ["AUG.MIXUP"] = AtLeast(0, "0 = off"),
        ["AUG.CUTMIX"] = AtLeast(0, "0 = off"),
        ["AUG.CUTMIX_MINMAX"] = s_probability,
        ["AUG.MIXUP_PROB"] = s_probability,
        ["AUG.MIXUP_SWITCH_PROB"] = s_probability,
    });

    private static Dictionary<string, ValueRange> WithEncoderSections(Dictionary<string, ValueRange> ranges)
    {
        foreach (var family in Models.EncoderRegistry.Families)
        {
            foreach (var (key, range) in family.Ranges)
            {
                ranges.Add($"{family.SectionKey}.{key}", range);
            }
        }
        return ranges;
    }

    /// <summary>The range of <paramref name="key"/> (a full path such as DATA.BATCH_SIZE).</summary>
    public static ValueRange Of(string key) =>
        ByKey.TryGetValue(key, out ValueRange? range) ? range : throw new ArgumentException($"no range for config key {key}", nameof(key));

    /// <summary>One line per numeric value of <paramref name="config"/> outside its range, naming the key.</summary>
    public static List<string> Check(SimMimConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<string>();
        foreach ((string key, object? value) in NumericValues(config))
        {
            ValueRange range = Of(key);
            switch (value)
            {
                case null:
                    break;
                case IEnumerable items:
                    int i = 0;
                    foreach (object item in items)
                    {
                        if (range.Check($"{key}[{i++}]", System.Convert.ToDouble(item, null)) is { } problem)
                        {
                            problems.Add(problem);
                        }
                    }
                    break;
                default:
                    if (range.Check(key, System.Convert.ToDouble(value, null)) is { } single)
                    {
                        problems.Add(single);
                    }
                    break;
            }
        }
        return problems;
    }

    /// <summary>Every key whose type is a number, an optional number or a list of numbers, with its value.</summary>
    public static IEnumerable<(string Key, object? Value)> NumericValues(SimMimConfig config) => Walk(config, "");

    /// <summary>True for int, double, their nullable forms and lists of them: the keys this table must cover.</summary>
    public static bool IsNumeric(Type type)
    {
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            t = t.GetGenericArguments()[0];
        }
        return t == typeof(int) || t == typeof(double);
    }

    private static IEnumerable<(string, object?)> Walk(object section, string prefix)
    {
        foreach (ConfigKey key in UpperSnakeNaming.Keys(section.GetType()))
        {
            Type type = key.Property.PropertyType;
            if (UpperSnakeNaming.IsSection(type))
            {
                foreach (var entry in Walk(key.Property.GetValue(section)!, prefix + key.Name + "."))
                {
                    yield return entry;
                }
            }
            else if (IsNumeric(type))
            {
                yield return (prefix + key.Name, key.Property.GetValue(section));
            }
        }
    }
}
