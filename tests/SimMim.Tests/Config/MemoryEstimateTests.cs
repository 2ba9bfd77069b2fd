using SimMim.Config;
using SimMim.Hardware;

namespace SimMim.Tests.Config;

public class MemoryEstimateTests
{
    private const double GB = 1024.0 * 1024 * 1024;

    private static SimMimConfig Reference(string name) => ConfigLoader.Load(ConfigTestFiles.Reference(name));

    [Fact]
    public void AHugeImageIsRefusedWithTheEstimateBeforeAnythingIsAllocated()
    {
        SimMimConfig config = ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, "demo.yaml"), ["DATA.IMG_SIZE", "65536"]);
        ConfigValidator.Validate(config, ConfigStage.Pretrain);   // the sizes divide: only memory is wrong

        var e = Assert.Throws<ConfigException>(() => ConfigValidator.ValidateRun(config, ConfigStage.Pretrain, training: true));

        Assert.StartsWith("DATA.IMG_SIZE 65536 with a batch of 64 does not fit in memory: swin training needs at least ", e.Message);
        Assert.Contains("268,435,456 tokens per image", e.Message);
        Assert.Matches(@"needs at least [\d.,]+ TB .* but [\d.,]+ [KMGT]?B is available", e.Message);
    }

    [Fact]
    public void TheReferenceSwinBaseAt192PxBatch128FitsA24GBMachine()
    {
        // A lower bound: it must not refuse what fits. The real run needs more (about 2x in fp32 with norms and
        // GELU inputs), still under 24 GB with the rest of the machine's memory.
        var estimate = MemoryEstimate.For(Reference("simmim_pretrain__swin_base__img192_window6__800ep"), ConfigStage.Pretrain, training: true);

        Assert.Equal(128, estimate.Batch);
        Assert.InRange(estimate.Parameters, 85e6, 90e6);   // Swin-B: 88 M with the decoder
        Assert.InRange(estimate.TotalBytes / GB, 6, 16);
        estimate.Require(24 * GB, Reference("simmim_pretrain__swin_base__img192_window6__800ep"));
    }

    [Theory]
    [InlineData("reference/simmim_pretrain__swin_base__img192_window6__800ep.yaml", 8, 4509)]
    [InlineData("bench_vit_small.yaml", null, 1271)]
    [InlineData("bench_swin_small.yaml", null, 2118)]
    public void TheEstimateStaysBelowThePeakMemoryMeasuredForTheRealRun(string config, int? batch, double peakMiB)
    {
        // Peak RSS of `simmim benchmark` (fp32; for the bench configs PyTorch's, the lower of the two) recorded in
        // docs/PERFORMANCE.md: a lower bound must never be above what a run actually took.
        var estimate = MemoryEstimate.For(ConfigLoader.Load(Path.Combine(ConfigTestFiles.ConfigsDir, config)), ConfigStage.Pretrain,
            training: true, batch);

        Assert.InRange(estimate.TotalBytes / (1024 * 1024), peakMiB / 5, peakMiB);   // and not uselessly low
    }

    [Theory]
    [InlineData("simmim_pretrain__vit_base__img224__800ep", 86e6, 88e6)]
    [InlineData("simmim_finetune__vit_base__img224__800ep", 86e6, 88e6)]
    [InlineData("simmim_finetune__swin_base__img224_window7__100ep", 87e6, 89e6)]
    public void ParameterCountsAreThoseOfTheModels(string name, double min, double max)
    {
        var stage = name.Contains("finetune") ? ConfigStage.Finetune : ConfigStage.Pretrain;
        Assert.InRange(MemoryEstimate.For(Reference(name), stage, training: true).Parameters, min, max);
    }

    [Fact]
    public void InferenceCountsOneBlockAndTheWeightsOnce()
    {
        SimMimConfig config = Reference("simmim_finetune__swin_base__img224_window7__100ep");
        var training = MemoryEstimate.For(config, ConfigStage.Finetune, training: true);
        var inference = MemoryEstimate.For(config, ConfigStage.Finetune, training: false);

        Assert.Equal(training.ParameterBytes / 4, inference.ParameterBytes);
        Assert.True(inference.ActivationBytes < training.ActivationBytes / 5);   // 24 blocks, the largest in stage 0
        Assert.Equal(0, MemoryEstimate.For(config, ConfigStage.Finetune, training: false, batch: 0).ActivationBytes);
    }

    [Fact]
    public void EveryConfigOfOursFitsInTwoGigabytes()
    {
        foreach (string file in Directory.GetFiles(ConfigTestFiles.ConfigsDir, "*.yaml")
                     .Where(f => !f.EndsWith("_base.yaml", StringComparison.Ordinal)))
        {
            var stage = file.Contains("finetune") ? ConfigStage.Finetune : ConfigStage.Pretrain;
            Assert.True(MemoryEstimate.For(ConfigLoader.Load(file), stage, training: true).TotalBytes < 2 * GB, file);
        }
    }

    [Fact]
    public void ProcessesOnOneMachineShareItsMemory()
    {
        SimMimConfig config = Reference("simmim_pretrain__swin_base__img192_window6__800ep");
        var estimate = MemoryEstimate.For(config, ConfigStage.Pretrain, training: true);

        estimate.Require(estimate.TotalBytes * 2, config, processes: 2);
        var e = Assert.Throws<ConfigException>(() => estimate.Require(estimate.TotalBytes * 2, config, processes: 3));
        Assert.Contains("per process, 3 processes on this machine, but ", e.Message);
    }

    [Theory]
    [InlineData(512.0, "512 B")]
    [InlineData(1536.0, "1.5 KB")]
    [InlineData(22.6 * 1024 * 1024 * 1024, "22.6 GB")]
    public void BytesAreShownInBinaryUnits(double bytes, string expected)
    {
        Assert.Equal(expected, MemoryEstimate.Bytes(bytes));
    }

    [Fact]
    public void MemAvailableIsReadFromProcMeminfo()
    {
        Assert.Equal(22659088L * 1024, AvailableMemory.ParseMemAvailable("MemTotal:       24683784 kB\nMemFree:        17566420 kB\nMemAvailable:   22659088 kB\n"));
        Assert.Null(AvailableMemory.ParseMemAvailable("MemTotal: 1 kB\n"));
        Assert.True(AvailableMemory.Bytes() > 0);
    }
}
