using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>A trainer given several observers (the console beside TensorBoard, say) reports every event to each.</summary>
public class MultipleObserversTests
{
    [Fact]
    public void TwoObserversBothReceiveTheRunsStepsAndEpochs()
    {
        var config = PretrainTestConfigs.Swin(PretrainTestConfigs.TempDir(), epochs: 1);
        var first = new RunRecorder();
        var second = new RunRecorder();

        new Pretrainer(config, new PretrainOptions(MaxStepsPerEpoch: 2), [first, second]).Run();

        Assert.Equal([1L, 2L], first.Losses.Keys);
        Assert.Equal(first.Losses, second.Losses);
        Assert.Single(first.Epochs);
        Assert.Equal(first.Epochs, second.Epochs);
        Assert.NotNull(first.Start);
        Assert.Equal(first.Start, second.Start);
    }
}
