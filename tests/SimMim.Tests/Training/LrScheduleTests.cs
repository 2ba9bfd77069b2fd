using SimMim.Training;

namespace SimMim.Tests.Training;

public class LrScheduleTests
{
    private const int StepsPerEpoch = 100;

    [Fact]
    public void WarmupRisesLinearlyFromWarmupLr()
    {
        var schedule = new LrSchedule("cosine", epochs: 10, warmupEpochs: 2, StepsPerEpoch, warmupLr: 1e-6, minLr: 1e-5);
        Assert.Equal(1e-6, schedule.At(0, 1e-3), 12);
        Assert.Equal(1e-6 + 100 * (1e-3 - 1e-6) / 200, schedule.At(100, 1e-3), 12);
    }

    [Fact]
    public void CosineCountsFromZeroIncludingWarmupAndEndsAtMinLr()
    {
        var schedule = new LrSchedule("cosine", epochs: 10, warmupEpochs: 2, StepsPerEpoch, warmupLr: 1e-6, minLr: 1e-5);
        // At the end of warmup (t = 200 of 1000) timm's cosine is already past its peak.
        double expected = 1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + Math.Cos(Math.PI * 200 / 1000));
        Assert.Equal(expected, schedule.At(200, 1e-3), 12);
        Assert.Equal(1e-5 + 0.5 * (1e-3 - 1e-5), schedule.At(500, 1e-3), 12);
        Assert.Equal(1e-5, schedule.At(1000, 1e-3), 12);
    }

    [Fact]
    public void MultistepDropsByGammaAtEachMilestone()
    {
        var schedule = new LrSchedule("multistep", epochs: 800, warmupEpochs: 10, 1, warmupLr: 5e-7, minLr: 0,
            multisteps: [700], gamma: 0.1);
        Assert.Equal(4e-4, schedule.At(699, 4e-4), 12);
        Assert.Equal(4e-5, schedule.At(700, 4e-4), 12);
    }

    [Fact]
    public void OptimizerStepUsesThePreviousUpdateSoTheFirstTwoStepsUseWarmupLr()
    {
        var schedule = new LrSchedule("cosine", epochs: 10, warmupEpochs: 2, StepsPerEpoch, warmupLr: 1e-6, minLr: 1e-5);
        Assert.Equal(1e-6, schedule.ForOptimizerStep(-1, 1e-3), 12);
        Assert.Equal(1e-6, schedule.ForOptimizerStep(0, 1e-3), 12);
        Assert.Equal(schedule.At(1, 1e-3), schedule.ForOptimizerStep(1, 1e-3), 12);
    }

    [Fact]
    public void UnknownSchedulerNamesTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => new LrSchedule("warm", 1, 0, 1, 0, 0));
        Assert.Contains("TRAIN.LR_SCHEDULER.NAME", e.Message);
    }
}
