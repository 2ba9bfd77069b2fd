using SimMim.Config;

namespace SimMim.Tests.Config;

public class ConfigValidatorTests
{
    private static SimMimConfig Valid => ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_base__img192_window6__800ep"));

    private static string Fails(SimMimConfig config, ConfigStage stage = ConfigStage.Pretrain)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigValidator.Validate(config, stage));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    private static SimMimConfig With(params string[] opts) =>
        ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_base__img192_window6__800ep"), opts);

    [Fact]
    public void DefaultsAreValidForBothStages()
    {
        ConfigValidator.Validate(new SimMimConfig(), ConfigStage.Pretrain);
        ConfigValidator.Validate(new SimMimConfig(), ConfigStage.Finetune);
        ConfigValidator.Validate(Valid, ConfigStage.Pretrain);
    }

    [Theory]
    [InlineData(new[] { "MODEL.TYPE", "resnet" }, "MODEL.TYPE must be one of swin, vit, got 'resnet'")]
    [InlineData(new[] { "DATA.MASK_PATCH_SIZE", "40" }, "DATA.IMG_SIZE (192) must be a multiple of DATA.MASK_PATCH_SIZE (40)")]
    [InlineData(new[] { "DATA.MASK_PATCH_SIZE", "6", "DATA.IMG_SIZE", "96" }, "DATA.MASK_PATCH_SIZE (6) must be a multiple of MODEL.SWIN.PATCH_SIZE (4)")]
    [InlineData(new[] { "MODEL.TYPE", "vit", "DATA.MASK_PATCH_SIZE", "24" }, "DATA.MASK_PATCH_SIZE (24) must be a multiple of MODEL.VIT.PATCH_SIZE (16)")]
    [InlineData(new[] { "DATA.MASK_RATIO", "1.0" }, "DATA.MASK_RATIO must be between 0 and 1 (exclusive), got 1")]
    [InlineData(new[] { "DATA.MASK_RATIO", "0" }, "DATA.MASK_RATIO must be between 0 and 1 (exclusive), got 0")]
    [InlineData(new[] { "DATA.BATCH_SIZE", "0" }, "DATA.BATCH_SIZE must be at least 1, got 0")]
    [InlineData(new[] { "TRAIN.EPOCHS", "0", "TRAIN.WARMUP_EPOCHS", "0", "TRAIN.LR_SCHEDULER.MULTISTEPS", "[0]" }, "TRAIN.EPOCHS must be at least 1, got 0")]
    [InlineData(new[] { "TRAIN.WARMUP_EPOCHS", "-1" }, "TRAIN.WARMUP_EPOCHS (-1) must be between 0 and TRAIN.EPOCHS (800)")]
    [InlineData(new[] { "TRAIN.LR_SCHEDULER.NAME", "poly" }, "TRAIN.LR_SCHEDULER.NAME must be one of cosine, multistep, step, linear, got 'poly'")]
    [InlineData(new[] { "TRAIN.LR_SCHEDULER.MULTISTEPS", "[5, 700]" }, "TRAIN.WARMUP_EPOCHS (10) must not exceed the first of TRAIN.LR_SCHEDULER.MULTISTEPS ([5, 700])")]
    [InlineData(new[] { "TRAIN.LR_SCHEDULER.MULTISTEPS", "[]" }, "TRAIN.LR_SCHEDULER.MULTISTEPS must list at least one epoch")]
    [InlineData(new[] { "MODEL.SWIN.NUM_HEADS", "[4, 8, 16]" }, "MODEL.SWIN.DEPTHS (4 stages: [2, 2, 18, 2]) and MODEL.SWIN.NUM_HEADS (3: [4, 8, 16]) must have the same length")]
    [InlineData(new[] { "TRAIN.OPTIMIZER.NAME", "lamb" }, "TRAIN.OPTIMIZER.NAME must be one of adamw, sgd, got 'lamb'")]
    [InlineData(new[] { "TRAIN.OPTIMIZER.BETAS", "[0.9]" }, "TRAIN.OPTIMIZER.BETAS must have 2 items, got 1: [0.9]")]
    [InlineData(new[] { "SAVE_FREQ", "0" }, "SAVE_FREQ must be at least 1, got 0")]
    [InlineData(new[] { "DATA.IMG_SIZE", "190", "DATA.MASK_PATCH_SIZE", "38" }, "DATA.IMG_SIZE (190) must be a multiple of MODEL.SWIN.PATCH_SIZE (4)")]
    public void EachViolationNamesTheKeysAndValues(string[] opts, string expected)
    {
        Assert.Contains(expected, Fails(With(opts)));
    }

    [Fact]
    public void AllViolationsAreReportedInOneLine()
    {
        string message = Fails(With("DATA.BATCH_SIZE", "0", "SAVE_FREQ", "0"));

        Assert.Equal("invalid config: DATA.BATCH_SIZE must be at least 1, got 0; SAVE_FREQ must be at least 1, got 0", message);
    }

    [Fact]
    public void MaskChecksApplyOnlyToPretraining()
    {
        SimMimConfig config = With("DATA.MASK_PATCH_SIZE", "40", "DATA.MASK_RATIO", "0");

        ConfigValidator.Validate(config, ConfigStage.Finetune);
        Assert.Contains("DATA.MASK_PATCH_SIZE", Fails(config));
    }

    [Theory]
    [InlineData(new[] { "TRAIN.LAYER_DECAY", "0" }, "TRAIN.LAYER_DECAY must be in (0, 1], got 0")]
    [InlineData(new[] { "MODEL.NUM_CLASSES", "0" }, "MODEL.NUM_CLASSES must be at least 1, got 0")]
    [InlineData(new[] { "AUG.SCALE", "[0.5, 0.2]" }, "AUG.SCALE must be two numbers 0 < min <= max <= 1, got [0.5, 0.2]")]
    [InlineData(new[] { "AUG.SCALE", "[0.0, 1.0]" }, "AUG.SCALE must be two numbers 0 < min <= max <= 1, got [0, 1]")]
    [InlineData(new[] { "AUG.SCALE", "[0.5]" }, "AUG.SCALE must be two numbers 0 < min <= max <= 1, got [0.5]")]
    public void FinetuneChecksLayerDecayAndClasses(string[] opts, string expected)
    {
        Assert.Contains(expected, Fails(With(opts), ConfigStage.Finetune));
        ConfigValidator.Validate(With(opts), ConfigStage.Pretrain);
    }
}
