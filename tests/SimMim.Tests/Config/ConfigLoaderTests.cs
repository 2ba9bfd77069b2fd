using SimMim.Config;
using SimMim.Models.Swin;
using SimMim.Models.Vit;

namespace SimMim.Tests.Config;

public class ConfigLoaderTests
{
    public static TheoryData<string> ReferenceNames => new(
        Directory.GetFiles(ConfigTestFiles.ReferenceConfigsDir, "*.yaml").Select(Path.GetFileNameWithoutExtension)!);

    [Fact]
    public void DefaultsEqualTheReferenceConfigPy()
    {
        SimMimConfig c = ConfigLoader.Load(null);

        Assert.Equal([""], c.Base);
        Assert.Equal((128, "", "imagenet", 224, "bicubic", true, 8, 32, 0.6),
            (c.Data.BatchSize, c.Data.DataPath, c.Data.Dataset, c.Data.ImgSize, c.Data.Interpolation, c.Data.PinMemory,
             c.Data.NumWorkers, c.Data.MaskPatchSize, c.Data.MaskRatio));
        Assert.Equal(("swin", "swin_tiny_patch4_window7_224", "", 1000, 0.0, 0.1, 0.1),
            (c.Model.Type, c.Model.Name, c.Model.Resume, c.Model.NumClasses, c.Model.DropRate, c.Model.DropPathRate,
             c.Model.LabelSmoothing));
        SwinConfig s = c.Model.Swin;
        Assert.Equal((4, 3, 96, 7, 4.0, true, (double?)null, false, true),
            (s.PatchSize, s.InChans, s.EmbedDim, s.WindowSize, s.MlpRatio, s.QkvBias, s.QkScale, s.Ape, s.PatchNorm));
        Assert.Equal([2, 2, 6, 2], s.Depths);
        Assert.Equal([3, 6, 12, 24], s.NumHeads);
        VitConfig v = c.Model.Vit;
        Assert.Equal((16, 3, 768, 12, 12, 4.0, true, 0.1, false, false, true, false),
            (v.PatchSize, v.InChans, v.EmbedDim, v.Depth, v.NumHeads, v.MlpRatio, v.QkvBias, v.InitValues, v.UseApe,
             v.UseRpb, v.UseSharedRpb, v.UseMeanPooling));
        TrainConfig t = c.Train;
        Assert.Equal((0, 300, 20, 0.05, 5e-4, 5e-7, 5e-6, 5.0, true, 0, false, 1.0),
            (t.StartEpoch, t.Epochs, t.WarmupEpochs, t.WeightDecay, t.BaseLr, t.WarmupLr, t.MinLr, t.ClipGrad,
             t.AutoResume, t.AccumulationSteps, t.UseCheckpoint, t.LayerDecay));
        Assert.Equal(("cosine", 30, 0.1, 0.1), (t.LrScheduler.Name, t.LrScheduler.DecayEpochs,
            t.LrScheduler.DecayRate, t.LrScheduler.Gamma));
        Assert.Empty(t.LrScheduler.Multisteps);
        Assert.Equal(("adamw", 1e-8, 0.9), (t.Optimizer.Name, t.Optimizer.Eps, t.Optimizer.Momentum));
        Assert.Equal([0.9, 0.999], t.Optimizer.Betas);
        AugConfig a = c.Aug;
        Assert.Equal((0.4, "rand-m9-mstd0.5-inc1", 0.25, "pixel", 1, 0.8, 1.0, 1.0, 0.5, "batch"),
            (a.ColorJitter, a.AutoAugment, a.Reprob, a.Remode, a.Recount, a.Mixup, a.Cutmix, a.MixupProb,
             a.MixupSwitchProb, a.MixupMode));
        Assert.Null(a.CutmixMinmax);
        Assert.True(c.Test.Crop);
        Assert.Equal(("", "", "default", 1, 10, 0, false, false, 0, ""),
            (c.AmpOptLevel, c.Output, c.Tag, c.SaveFreq, c.PrintFreq, c.Seed, c.EvalMode, c.ThroughputMode,
             c.LocalRank, c.Pretrained));
    }

    [Theory]
    [MemberData(nameof(ReferenceNames))]
    public void ReferenceYamlLoadsUnchangedAndValidates(string name)
    {
        SimMimConfig c = ConfigLoader.Load(ConfigTestFiles.Reference(name));

        Assert.Equal(name, c.Tag);
        Assert.Equal((5, 100, 0.05), (c.SaveFreq, c.PrintFreq, c.Train.WeightDecay));
        ConfigValidator.Validate(c, name.Contains("finetune") ? ConfigStage.Finetune : ConfigStage.Pretrain);
    }

    /// <summary>
    /// The reference writes its YAMLs with yacs in mind: padded flow lists, exponents without a dot (YAML 1.2 core
    /// floats, strings to PyYAML's 1.1 resolver), sections in any order, no newline at the end. Our copies are tidied,
    /// so the quirks are pinned here, in the layout of simmim_pretrain__swin_base__img192_window6__100ep.yaml.
    /// </summary>
    [Fact]
    public void ReferenceFormattingLoadsToTheSameValuesAsOurCopy()
    {
        using var dir = new TempConfigDir();
        string quirky = dir.Write("quirky.yaml",
            "MODEL:\n  TYPE: swin\n  NAME: simmim_pretrain\n  DROP_PATH_RATE: 0.0\n  SWIN:\n    EMBED_DIM: 128\n"
            + "    DEPTHS: [ 2, 2, 18, 2 ]\n    NUM_HEADS: [ 4, 8, 16, 32 ]\n    WINDOW_SIZE: 6\n"
            + "DATA:\n  IMG_SIZE: 192\n  MASK_PATCH_SIZE: 32\n  MASK_RATIO: 0.6\n"
            + "TRAIN:\n  EPOCHS: 100\n  WARMUP_EPOCHS: 10\n  BASE_LR: 2e-4\n  WARMUP_LR: 1e-6\n  MIN_LR: 1e-5\n"
            + "  WEIGHT_DECAY: 0.05\nPRINT_FREQ: 100\nSAVE_FREQ: 5\nTAG: simmim_pretrain__swin_base__img192_window6__100ep");

        SimMimConfig ours = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_base__img192_window6__100ep"));

        ConfigTestFiles.AssertSameConfig(ours, ConfigLoader.Load(quirky));
    }

    [Fact]
    public void SwinBase100EpochPretrainHasTheSpecValues()
    {
        SimMimConfig c = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_base__img192_window6__100ep"));

        Assert.Equal(("swin", "simmim_pretrain", 0.0), (c.Model.Type, c.Model.Name, c.Model.DropPathRate));
        Assert.Equal((128, 6), (c.Model.Swin.EmbedDim, c.Model.Swin.WindowSize));
        Assert.Equal([2, 2, 18, 2], c.Model.Swin.Depths);
        Assert.Equal([4, 8, 16, 32], c.Model.Swin.NumHeads);
        Assert.Equal((192, 32, 0.6), (c.Data.ImgSize, c.Data.MaskPatchSize, c.Data.MaskRatio));
        Assert.Equal((100, 10, 2e-4, 1e-6, 1e-5, "cosine"),
            (c.Train.Epochs, c.Train.WarmupEpochs, c.Train.BaseLr, c.Train.WarmupLr, c.Train.MinLr,
             c.Train.LrScheduler.Name));
    }

    [Fact]
    public void SwinBase800EpochPretrainUsesMultistepAt700()
    {
        SimMimConfig c = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_base__img192_window6__800ep"));

        Assert.Equal(("multistep", 0.1), (c.Train.LrScheduler.Name, c.Train.LrScheduler.Gamma));
        Assert.Equal([700], c.Train.LrScheduler.Multisteps); // written [700,] in the reference
        Assert.Equal((800, 1e-4, 5e-7, 5e-6), (c.Train.Epochs, c.Train.BaseLr, c.Train.WarmupLr, c.Train.MinLr));
    }

    [Fact]
    public void SwinLargePretrainHasTheSpecValues()
    {
        SimMimConfig c = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_large__img192_window12__800ep"));

        Assert.Equal((192, 12), (c.Model.Swin.EmbedDim, c.Model.Swin.WindowSize));
        Assert.Equal([6, 12, 24, 48], c.Model.Swin.NumHeads);
    }

    [Fact]
    public void VitPretrainAndFinetuneDifferInRelativePositionBias()
    {
        SimMimConfig pre = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__vit_base__img224__800ep"));
        SimMimConfig fine = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_finetune__vit_base__img224__800ep"));

        Assert.Equal(("vit", 224, 0.1), (pre.Model.Type, pre.Data.ImgSize, pre.Model.DropPathRate));
        Assert.Equal((768, 12, 12), (pre.Model.Vit.EmbedDim, pre.Model.Vit.Depth, pre.Model.Vit.NumHeads));
        Assert.Equal((false, false, true, false),
            (pre.Model.Vit.UseApe, pre.Model.Vit.UseRpb, pre.Model.Vit.UseSharedRpb, pre.Model.Vit.UseMeanPooling));
        Assert.Equal((false, true, false, true),
            (fine.Model.Vit.UseApe, fine.Model.Vit.UseRpb, fine.Model.Vit.UseSharedRpb, fine.Model.Vit.UseMeanPooling));
        Assert.Equal((100, 20, 1.25e-3, 2.5e-7, 2.5e-7, 0.65),
            (fine.Train.Epochs, fine.Train.WarmupEpochs, fine.Train.BaseLr, fine.Train.WarmupLr, fine.Train.MinLr,
             fine.Train.LayerDecay));
    }

    [Theory]
    [InlineData("simmim_finetune__swin_base__img192_window6__100ep", 192, 6, 0.1, 0.9)]
    [InlineData("simmim_finetune__swin_base__img224_window7__800ep", 224, 7, 0.1, 0.8)]
    [InlineData("simmim_finetune__swin_large__img224_window14__800ep", 224, 14, 0.2, 0.7)]
    public void SwinFinetuneHasTheSpecValues(string name, int img, int window, double dropPath, double layerDecay)
    {
        SimMimConfig c = ConfigLoader.Load(ConfigTestFiles.Reference(name));

        Assert.Equal((img, window, dropPath, layerDecay, "simmim_finetune"),
            (c.Data.ImgSize, c.Model.Swin.WindowSize, c.Model.DropPathRate, c.Train.LayerDecay, c.Model.Name));
    }

    // A *_base.yaml is a fragment (no model of its own) that the configs naming it in BASE complete; it is checked
    // as part of each of them.
    public static TheoryData<string> OurConfigs => new(
        Directory.GetFiles(ConfigTestFiles.ConfigsDir, "*.yaml", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("_base.yaml", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(ConfigTestFiles.ConfigsDir, f)));

    [Theory]
    [MemberData(nameof(OurConfigs))]
    public void EveryConfigInTheRepoLoadsAndValidates(string relativePath)
    {
        SimMimConfig c = ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, relativePath));

        ConfigValidator.Validate(c, relativePath.Contains("finetune") ? ConfigStage.Finetune : ConfigStage.Pretrain);
    }

    [Fact]
    public void FashionMnistConfigsInheritTheSharedBase()
    {
        SimMimConfig vit = ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, "fashion_mnist_vit_tiny.yaml"));
        SimMimConfig swin = ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, "fashion_mnist_swin_tiny.yaml"));

        foreach (SimMimConfig c in new[] { vit, swin })
        {
            Assert.Equal(("/usr/share/datasets/fashion-mnist", 32, 8, 128, 10, 1, 50),
                (c.Data.DataPath, c.Data.ImgSize, c.Data.MaskPatchSize, c.Data.BatchSize, c.Train.Epochs, c.SaveFreq,
                 c.PrintFreq));
            double lr = ResolvedRun.Resolve(c).BaseLr;
            Assert.InRange(lr, 1e-3, 2e-3);
        }
        Assert.Equal(("vit", 4, 128, 6, 4), (vit.Model.Type, vit.Model.Vit.PatchSize, vit.Model.Vit.EmbedDim,
            vit.Model.Vit.Depth, vit.Model.Vit.NumHeads));
        Assert.Equal(("swin", 2, 64, 4), (swin.Model.Type, swin.Model.Swin.PatchSize, swin.Model.Swin.EmbedDim,
            swin.Model.Swin.WindowSize));
        Assert.Equal([2, 2, 2], swin.Model.Swin.Depths);
        Assert.Equal([2, 4, 8], swin.Model.Swin.NumHeads);
    }

    [Fact]
    public void DemoIsATinySwinAt64Pixels()
    {
        SimMimConfig c = ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, "demo.yaml"));

        Assert.Equal((64, 16, 4, 32, 4), (c.Data.ImgSize, c.Data.MaskPatchSize, c.Model.Swin.PatchSize,
            c.Model.Swin.EmbedDim, c.Model.Swin.WindowSize));
        Assert.Equal([2, 2], c.Model.Swin.Depths);
        Assert.Equal(1e-3, ResolvedRun.Resolve(c).BaseLr, 12);
    }
}
