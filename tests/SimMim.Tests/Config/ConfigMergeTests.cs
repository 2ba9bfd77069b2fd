using SimMim.Config;

namespace SimMim.Tests.Config;

/// <summary>BASE inheritance and --opts overrides: what wins and where relative paths point.</summary>
public class ConfigMergeTests
{
    [Fact]
    public void BaseFilesMergeFirstInListOrderRelativeToTheIncludingFile()
    {
        using var dir = new TempConfigDir();
        dir.Write("common/root.yaml", "DATA:\n  IMG_SIZE: 96\n  BATCH_SIZE: 16\nTAG: root\n");
        dir.Write("common/first.yaml", "BASE: ['root.yaml']\nDATA:\n  BATCH_SIZE: 32\nTRAIN:\n  EPOCHS: 7\nTAG: first\n");
        dir.Write("other/second.yaml", "TRAIN:\n  EPOCHS: 9\n  WARMUP_EPOCHS: 2\n");
        string run = dir.Write("runs/run.yaml",
            "BASE: ['../common/first.yaml', '../other/second.yaml']\nTRAIN:\n  WARMUP_EPOCHS: 3\n");

        SimMimConfig c = ConfigLoader.Load(run);

        Assert.Equal(96, c.Data.ImgSize);       // only in root
        Assert.Equal(32, c.Data.BatchSize);     // first overrides root
        Assert.Equal(9, c.Train.Epochs);        // second (later in the list) overrides first
        Assert.Equal(3, c.Train.WarmupEpochs);  // the file itself overrides its bases
        Assert.Equal("first", c.Tag);
        Assert.Equal(0.6, c.Data.MaskRatio);       // untouched keys keep the defaults
        Assert.Equal([""], c.Base);             // bases are merged, so the result names none
    }

    [Theory]
    [InlineData("_BASE_: base.yaml\n")]
    [InlineData("_BASE_: [base.yaml]\n")]
    [InlineData("BASE:\n  - ''\n  - base.yaml\n")]
    public void BaseMayBeANameOrAListAndEmptyEntriesAreSkipped(string include)
    {
        using var dir = new TempConfigDir();
        dir.Write("base.yaml", "MODEL:\n  SWIN:\n    EMBED_DIM: 48\n");
        string run = dir.Write("run.yaml", include + "SEED: 3\n");

        SimMimConfig c = ConfigLoader.Load(run);

        Assert.Equal((48, 3), (c.Model.Swin.EmbedDim, c.Seed));
    }

    [Fact]
    public void OptsOverrideTheFileWithYacsStyleValues()
    {
        using var dir = new TempConfigDir();
        string run = dir.Write("run.yaml", "TRAIN:\n  BASE_LR: 2e-4\n  EPOCHS: 10\nMODEL:\n  SWIN:\n    DEPTHS: [2, 2, 18, 2]\n");

        SimMimConfig c = ConfigLoader.Load(run,
        [
            "TRAIN.BASE_LR", "1e-3",
            "MODEL.SWIN.DEPTHS", "[2,2,2]",
            "MODEL.SWIN.NUM_HEADS", "[2, 4, 8]",
            "TRAIN.OPTIMIZER.BETAS", "(0.9, 0.95)",
            "TRAIN.AUTO_RESUME", "false",
            "MODEL.SWIN.QK_SCALE", "0.125",
            "AUG.CUTMIX_MINMAX", "[0.2, 0.8]",
            "TRAIN.LR_SCHEDULER.NAME", "'multistep'",
            "TRAIN.LR_SCHEDULER.MULTISTEPS", "[8,]",
            "DATA.DATA_PATH", "/data/my images: v2",
            "TRAIN.MIN_LR", "1",
        ]);

        Assert.Equal(1e-3, c.Train.BaseLr);
        Assert.Equal(10, c.Train.Epochs);
        Assert.Equal([2, 2, 2], c.Model.Swin.Depths);
        Assert.Equal([2, 4, 8], c.Model.Swin.NumHeads);
        Assert.Equal([0.9, 0.95], c.Train.Optimizer.Betas);
        Assert.False(c.Train.AutoResume);
        Assert.Equal(0.125, c.Model.Swin.QkScale);
        Assert.Equal([0.2, 0.8], c.Aug.CutmixMinmax!);
        Assert.Equal("multistep", c.Train.LrScheduler.Name);
        Assert.Equal([8], c.Train.LrScheduler.Multisteps);
        Assert.Equal("/data/my images: v2", c.Data.DataPath);
        Assert.Equal(1.0, c.Train.MinLr);
    }

    [Fact]
    public void OptsWithoutAFileApplyToTheDefaultsAndNoneClearsANullableKey()
    {
        SimMimConfig c = ConfigLoader.Load(null, ["MODEL.SWIN.QK_SCALE", "0.5", "MODEL.SWIN.QK_SCALE", "None"]);

        Assert.Null(c.Model.Swin.QkScale);
        Assert.Equal(224, c.Data.ImgSize);
    }

    [Fact]
    public void YamlValuesFollowYacsSpellings()
    {
        using var dir = new TempConfigDir();
        string run = dir.Write("run.yaml", """
            DATA:
              PIN_MEMORY: FALSE
              MASK_RATIO: 1      # an integer is fine where a float is expected
            MODEL:
              SWIN:
                QK_SCALE: 2.5e-7
                APE: true
              VIT:
                USE_RPB: True
            TRAIN:
              BASE_LR: '5e-4'    # yacs evaluates quoted numbers too
              OPTIMIZER:
                BETAS:
                  - 0.8
                  - 0.9
            AUG:
              CUTMIX_MINMAX: null
            OUTPUT: ''
            """);

        SimMimConfig c = ConfigLoader.Load(run);

        Assert.False(c.Data.PinMemory);
        Assert.Equal(1.0, c.Data.MaskRatio);
        Assert.Equal(2.5e-7, c.Model.Swin.QkScale);
        Assert.True(c.Model.Swin.Ape);
        Assert.True(c.Model.Vit.UseRpb);
        Assert.Equal(5e-4, c.Train.BaseLr);
        Assert.Equal([0.8, 0.9], c.Train.Optimizer.Betas);
        Assert.Null(c.Aug.CutmixMinmax);
        Assert.Equal("", c.Output);
    }

    [Fact]
    public void EmptyFileGivesTheDefaults()
    {
        using var dir = new TempConfigDir();
        string run = dir.Write("empty.yaml", "# nothing here\n");

        ConfigTestFiles.AssertSameConfig(new SimMimConfig(), ConfigLoader.Load(run));
    }

    [Fact]
    public void LoadingTwiceGivesIndependentConfigs()
    {
        SimMimConfig a = ConfigLoader.Load(null, ["DATA.IMG_SIZE", "32"]);
        SimMimConfig b = ConfigLoader.Load(null);

        Assert.Equal((32, 224), (a.Data.ImgSize, b.Data.ImgSize));
        Assert.Equal(224, new SimMimConfig().Data.ImgSize);
    }
}
