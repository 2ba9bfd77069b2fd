using SimMim.Config;

namespace SimMim.Tests.Config;

public class ResolvedRunTests
{
    // Scaling by 2048/512 only multiplies by powers of two, so the doubles are exact.
    [Fact]
    public void SwinBase100EpochsAt2048ImagesScalesLrsByFour()
    {
        SimMimConfig config = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_pretrain__swin_base__img192_window6__100ep"));

        ResolvedRun run = ResolvedRun.Resolve(config, worldSize: 16);

        Assert.Equal((2048, 4.0), (run.TotalBatchSize, run.LrScale));
        Assert.Equal(8e-4, run.BaseLr);
        Assert.Equal(4e-6, run.WarmupLr);
        Assert.Equal(4e-5, run.MinLr);
        Assert.Equal(Path.Combine("output", "simmim_pretrain", "simmim_pretrain__swin_base__img192_window6__100ep"), run.OutputDir);
    }

    [Fact]
    public void FinetuneAt2048Gives5e3()
    {
        SimMimConfig config = ConfigLoader.Load(ConfigTestFiles.Reference("simmim_finetune__vit_base__img224__800ep"));

        ResolvedRun run = ResolvedRun.Resolve(config, 16);

        Assert.Equal(5e-3, run.BaseLr);
        Assert.Equal(1e-6, run.WarmupLr);
        Assert.Equal(1e-6, run.MinLr);
    }

    [Theory]
    [InlineData(0, 1, 64, 0.125)]   // 0 = no accumulation, as in config.py
    [InlineData(1, 1, 64, 0.125)]
    [InlineData(4, 4, 256, 0.5)]    // accumulation multiplies the scale only when above 1
    public void AccumulationEntersBatchAndScale(int steps, int effectiveSteps, int totalBatch, double scale)
    {
        SimMimConfig config = ConfigLoader.Load(null, ["DATA.BATCH_SIZE", "32", "TRAIN.ACCUMULATION_STEPS", steps.ToString()]);

        ResolvedRun run = ResolvedRun.Resolve(config, worldSize: 2);

        Assert.Equal((2, effectiveSteps, totalBatch, scale), (run.WorldSize, run.AccumulationSteps, run.TotalBatchSize, run.LrScale));
        Assert.Equal(5e-4 * scale, run.BaseLr);
    }

    [Fact]
    public void OutputDirUsesOutputNameAndTag()
    {
        SimMimConfig config = ConfigLoader.Load(null, ["OUTPUT", "/tmp/runs", "MODEL.NAME", "simmim_demo", "TAG", "try1"]);

        Assert.Equal("/tmp/runs/simmim_demo/try1", ResolvedRun.Resolve(config).OutputDir);
        Assert.Equal(Path.Combine("output", "swin_tiny_patch4_window7_224", "default"), ResolvedRun.Resolve(new SimMimConfig()).OutputDir);
    }

    [Fact]
    public void WorldSizeBelowOneIsABug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ResolvedRun.Resolve(new SimMimConfig(), 0));
    }
}
