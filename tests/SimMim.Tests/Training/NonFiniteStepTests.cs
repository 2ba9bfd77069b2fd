using SimMim.Checkpoints;
using SimMim.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Training;

/// <summary>A NaN or infinite loss or gradient skips its step and is counted; too many in a row stop the run.</summary>
public class NonFiniteStepTests
{
    // One parameter p = [1, 0]: the loss sqrt(p).sum() is finite (1) but its gradient at 0 is +inf.
    private static (TorchSharp.Modules.Parameter P, TrainStep Step) Build(double clip = 5.0)
    {
        var p = new TorchSharp.Modules.Parameter(tensor(new float[] { 1, 0 }));
        var groups = new[] { new ParamGroup("g", ["p"], [p], 1e-1, 0) };
        var optimizer = optim.AdamW([new TorchSharp.Modules.AdamW.ParamGroup([p], new TorchSharp.Modules.AdamW.Options { LearningRate = 1e-1 })]);
        var schedule = new LrSchedule("cosine", epochs: 10, warmupEpochs: 0, stepsPerEpoch: 10, warmupLr: 0, minLr: 0);
        return (p, new TrainStep(optimizer, groups, schedule, stepsPerEpoch: 10, 1, clip));
    }

    [Fact]
    public void ANaNLossIsSkippedAndLeavesTheWeightsAsTheyWere()
    {
        var (p, step) = Build();
        var skipped = step.Run((p * float.NaN).sum(), 0, 0);
        Assert.Equal(StepOutcome.SkippedNonFinite, skipped.Outcome);
        Assert.Equal(new float[] { 1, 0 }, p.data<float>().ToArray());
        Assert.Equal(0, skipped.ScheduleUpdate);   // the schedule moves on

        // The gradients of the bad step were dropped: the next finite step moves p by its own gradient only.
        Assert.Equal(StepOutcome.Stepped, step.Run((p * p).sum(), 1, 1).Outcome);
        Assert.True(p.data<float>().ToArray().All(float.IsFinite));
        Assert.NotEqual(1f, p.data<float>()[0]);
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(0.0)]   // clipping off: the norm is still checked
    public void AnInfiniteGradientWithAFiniteLossIsSkipped(double clip)
    {
        var (p, step) = Build(clip);
        var loss = p.sqrt().sum();
        Assert.Equal(1f, loss.item<float>());
        var result = step.Run(loss, 0, 0);
        Assert.Equal(StepOutcome.SkippedNonFinite, result.Outcome);
        Assert.False(double.IsFinite(result.GradNorm));
        Assert.Equal(new float[] { 1, 0 }, p.data<float>().ToArray());
    }

    [Fact]
    public void ALossNonFiniteOnAnotherRankSkipsTheStepHereToo()
    {
        // Data parallel: the loop passes whether the loss was finite on every rank, so all ranks skip the same steps.
        var (p, step) = Build();
        Assert.Equal(StepOutcome.SkippedNonFinite, step.Run((p * p).sum(), 0, 0, lossIsFinite: false).Outcome);
        Assert.Equal(new float[] { 1, 0 }, p.data<float>().ToArray());
        Assert.True(step.Run((p * p).sum(), 1, 1, lossIsFinite: true).Stepped);
    }

    [Fact]
    public void ClippingOffStepsNormally()
    {
        // libtorch turns max_norm into a float: "no clipping" must not be double.MaxValue (it overflowed and threw).
        var (p, step) = Build(clip: 0);
        var result = step.Run((p * p).sum(), 0, 0);
        Assert.True(result.Stepped);
        Assert.Equal(2.0, result.GradNorm, 5);
    }

    [Fact]
    public void TheGuardCountsSkipsAndStopsAfterTheLimitInARowNamingTheLastGoodCheckpoint()
    {
        var guard = new NonFiniteGuard(maxInARow: 3);
        Assert.Null(guard.Observe(StepOutcome.Stepped, 0, 1, 0.5, 1, "a.pth"));
        Assert.Contains("1 in a row", guard.Observe(StepOutcome.SkippedNonFinite, 0, 2, double.NaN, double.NaN, "a.pth"));
        Assert.Contains("2 in a row", guard.Observe(StepOutcome.SkippedNonFinite, 0, 3, double.NaN, double.NaN, "a.pth"));
        Assert.Null(guard.Observe(StepOutcome.Stepped, 0, 4, 0.5, 1, "a.pth"));   // a good step resets the run of bad ones
        Assert.Null(guard.Observe(StepOutcome.Accumulating, 0, 5, double.NaN, 1, "a.pth"));
        guard.Observe(StepOutcome.SkippedNonFinite, 0, 6, double.NaN, double.NaN, "a.pth");
        guard.Observe(StepOutcome.SkippedNonFinite, 0, 7, double.NaN, double.NaN, "a.pth");
        var e = Assert.Throws<SimMimUserException>(() => guard.Observe(StepOutcome.SkippedNonFinite, 0, 8, double.PositiveInfinity, 3, "b.pth"));
        Assert.Equal(5, guard.Total);
        Assert.Contains("3 optimizer steps in a row", e.Message);
        Assert.Contains("TRAIN.MAX_NONFINITE_STEPS", e.Message);
        Assert.EndsWith("The last good checkpoint is b.pth", e.Message);
        Assert.Equal(1, e.ExitCode);
    }
}

/// <summary>A diverged run (an absurd lr makes every loss after the first NaN) stops with its last good checkpoint intact.</summary>
public class DivergedRunTests
{
    [Fact]
    public void ARunOfNonFiniteStepsStopsTheRunAndTheLastGoodCheckpointStillLoads()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), saveSteps: 1);
        config = config with
        {
            Train = config.Train with { WarmupEpochs = 0, BaseLr = 1e12, WarmupLr = 1e12, MinLr = 1e12, MaxNonfiniteSteps = 3 },
        };
        var recorder = new RunRecorder();
        var e = Assert.Throws<SimMimUserException>(() => new Pretrainer(config, new PretrainOptions(MaxStepsPerEpoch: 8), recorder).Run());

        string good = Path.Combine(PretrainTestConfigs.RunDir(config), CheckpointFiles.MidEpoch(0, 1));
        Assert.Contains("3 optimizer steps in a row", e.Message);
        Assert.EndsWith($"The last good checkpoint is {good}", e.Message);
        Assert.True(double.IsFinite(recorder.Losses[1]));
        Assert.All(recorder.Losses.Where(kv => kv.Key > 1), kv => Assert.False(double.IsFinite(kv.Value)));
        Assert.Equal(2, recorder.Messages.Count(m => m.StartsWith("skipped the step")));
        // Skipped steps write no checkpoints; the one written after the good step loads with finite weights.
        Assert.Equal([good], CheckpointFiles.NewestFirst(PretrainTestConfigs.RunDir(config)));
        var weights = TorchFile.StateDict(TorchFile.Load(good), good);
        Assert.All(weights.Values, t => Assert.True(t.isfinite().all().item<bool>()));
    }
}
