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
    [InlineData(new[] { "DATA.MASK_RATIO", "1.0" }, "DATA.MASK_RATIO must be in (0, 1), got 1")]
    [InlineData(new[] { "DATA.MASK_RATIO", "0" }, "DATA.MASK_RATIO must be in (0, 1), got 0")]
    [InlineData(new[] { "DATA.BATCH_SIZE", "0" }, "DATA.BATCH_SIZE must be at least 1, got 0")]
    [InlineData(new[] { "TRAIN.EPOCHS", "0", "TRAIN.WARMUP_EPOCHS", "0", "TRAIN.LR_SCHEDULER.MULTISTEPS", "[0]" }, "TRAIN.EPOCHS must be at least 1, got 0")]
    [InlineData(new[] { "TRAIN.WARMUP_EPOCHS", "-1" }, "TRAIN.WARMUP_EPOCHS must be at least 0, got -1")]
    [InlineData(new[] { "TRAIN.WARMUP_EPOCHS", "801" }, "TRAIN.WARMUP_EPOCHS (801) must not exceed TRAIN.EPOCHS (800)")]
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
        SimMimConfig config = With("DATA.MASK_PATCH_SIZE", "40");

        ConfigValidator.Validate(config, ConfigStage.Finetune);
        Assert.Contains("DATA.MASK_PATCH_SIZE", Fails(config));
    }

    [Theory]
    [InlineData(new[] { "MODEL.NUM_CLASSES", "0" }, "MODEL.NUM_CLASSES must be at least 1, got 0")]
    [InlineData(new[] { "AUG.SCALE", "[0.5, 0.2]" }, "AUG.SCALE must be two numbers 0 < min <= max <= 1, got [0.5, 0.2]")]
    [InlineData(new[] { "AUG.SCALE", "[0.5]" }, "AUG.SCALE must be two numbers 0 < min <= max <= 1, got [0.5]")]
    [InlineData(new[] { "AUG.CUTMIX_MINMAX", "[0.8, 0.2]" }, "AUG.CUTMIX_MINMAX must be None or two numbers 0 <= min < max <= 1, got [0.8, 0.2]")]
    public void FinetuneChecksClassesAndAugmentation(string[] opts, string expected)
    {
        Assert.Contains(expected, Fails(With(opts), ConfigStage.Finetune));
        ConfigValidator.Validate(With(opts), ConfigStage.Pretrain);
    }

    [Theory]
    [InlineData(new[] { "TRAIN.LAYER_DECAY", "0" }, "TRAIN.LAYER_DECAY must be in (0, 1], got 0")]
    [InlineData(new[] { "AUG.SCALE", "[0.0, 1.0]" }, "AUG.SCALE[0] must be in (0, 1], got 0")]
    [InlineData(new[] { "TRAIN.BASE_LR", "-1.0" }, "TRAIN.BASE_LR must be at least 0, got -1")]
    [InlineData(new[] { "TRAIN.CLIP_GRAD", "-1" }, "TRAIN.CLIP_GRAD must be at least 0 (0 = no clipping), got -1")]
    [InlineData(new[] { "TRAIN.ACCUMULATION_STEPS", "-1" }, "TRAIN.ACCUMULATION_STEPS must be at least 0 (0 or 1 = no accumulation), got -1")]
    [InlineData(new[] { "TRAIN.START_EPOCH", "800" }, "TRAIN.START_EPOCH (800) must be below TRAIN.EPOCHS (800), or nothing is trained")]
    [InlineData(new[] { "TRAIN.OPTIMIZER.BETAS", "[0.9, 1.0]" }, "TRAIN.OPTIMIZER.BETAS[1] must be in [0, 1), got 1")]
    [InlineData(new[] { "TRAIN.OPTIMIZER.EPS", "0" }, "TRAIN.OPTIMIZER.EPS must be greater than 0, got 0")]
    [InlineData(new[] { "TRAIN.OPTIMIZER.NAME", "sgd", "TRAIN.OPTIMIZER.MOMENTUM", "0" }, "TRAIN.OPTIMIZER.MOMENTUM must be above 0 for sgd")]
    [InlineData(new[] { "DATA.NUM_WORKERS", "-1" }, "DATA.NUM_WORKERS must be from 0 to 64 (0 = decode on the training thread), got -1")]
    [InlineData(new[] { "DATA.NUM_WORKERS", "100000" }, "DATA.NUM_WORKERS must be from 0 to 64")]
    [InlineData(new[] { "MODEL.SWIN.IN_CHANS", "1" }, "MODEL.SWIN.IN_CHANS must be 3 (RGB), got 1")]
    [InlineData(new[] { "MODEL.SWIN.DEPTHS", "[2, 0, 18, 2]" }, "MODEL.SWIN.DEPTHS[1] must be at least 1, got 0")]
    [InlineData(new[] { "MODEL.SWIN.QK_SCALE", "-0.5" }, "MODEL.SWIN.QK_SCALE must be greater than 0 (None = head_dim^-0.5), got -0.5")]
    [InlineData(new[] { "AUG.REPROB", "1.5" }, "AUG.REPROB must be in [0, 1], got 1.5")]
    [InlineData(new[] { "SEED", "-1" }, "SEED must be at least 0, got -1")]
    [InlineData(new[] { "DATA.INTERPOLATION", "cubicle" }, "DATA.INTERPOLATION must be bicubic (the reference's bilinear, nearest and random are not implemented), got 'cubicle'")]
    public void RangesApplyToEveryStage(string[] opts, string expected)
    {
        Assert.Contains(expected, Fails(With(opts), ConfigStage.Finetune));
        Assert.Contains(expected, Fails(With(opts), ConfigStage.Pretrain));
    }

    [Fact]
    public void NonFiniteNumbersBuiltInCodeAreOutOfEveryRange()
    {
        // The loader refuses NaN/inf text; a config made in code must not slip past the ranges either.
        var config = new SimMimConfig { Train = new TrainConfig { BaseLr = double.NaN, WeightDecay = double.PositiveInfinity } };

        string message = Fails(config);
        Assert.Contains("TRAIN.WEIGHT_DECAY must be at least 0, got Infinity", message);
        Assert.Contains("TRAIN.BASE_LR must be at least 0, got NaN", message);
    }

    [Theory]
    [InlineData(new[] { "MODEL.SWIN.DEPTHS", "[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]",
        "MODEL.SWIN.NUM_HEADS", "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]" },
        "DATA.IMG_SIZE: 192 is too small for MODEL.SWIN.PATCH_SIZE 4 and 34 stages")]
    [InlineData(new[] { "MODEL.SWIN.WINDOW_SIZE", "5" }, "MODEL.SWIN.WINDOW_SIZE: 5 does not divide the stage-0 resolution 48")]
    [InlineData(new[] { "MODEL.SWIN.NUM_HEADS", "[3, 8, 16, 32]" }, "MODEL.SWIN.NUM_HEADS: 3 does not divide the stage-0 dim 128")]
    [InlineData(new[] { "MODEL.TYPE", "vit", "MODEL.VIT.NUM_HEADS", "7" }, "MODEL.VIT.NUM_HEADS: 7 does not divide MODEL.VIT.EMBED_DIM 768")]
    public void TheModelGeometryIsCheckedWithTheConfig(string[] opts, string expected)
    {
        Assert.Contains(expected, Fails(With(opts)));
    }
}
