using System.Text.Json;
using SimMim.Finetune;
using static TorchSharp.torch;

namespace SimMim.Tests.Finetune;

public class ClassificationMetricsTests
{
    [Fact]
    public void HandMadeBatchesGiveTheExpectedCounts()
    {
        var metrics = new ClassificationMetrics(6);
        // Label 0 predicted (top-1); label 1 ranked 2nd; label 2 ranked 6th (last); label 3 ranked 5th.
        metrics.Update(tensor(new float[,]
        {
            { 9, 1, 2, 3, 4, 5 },
            { 1, 8, 9, 0, 0, 0 },
            { 5, 4, 0, 3, 2, 1 },
        }), tensor(new long[] { 0, 1, 2 }));
        metrics.Update(tensor(new float[,] { { 6, 5, 4, 2, 3, 1 } }), tensor(new long[] { 3 }));

        var r = metrics.Result();
        Assert.Equal(4, r.Count);
        Assert.Equal(25.0, r.Top1);
        Assert.Equal(75.0, r.Top5);   // only label 2 (6th of 6) misses the top 5
        Assert.Equal([100.0, 0.0, 0.0, 0.0, null, null], r.PerClassAccuracy);
        Assert.Equal(new long[] { 0, 0, 1, 0, 0, 0 }, r.ConfusionMatrix[1]);   // true 1 predicted 2
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 0 }, r.ConfusionMatrix[2]);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 0 }, r.ConfusionMatrix[3]);
        Assert.Equal(25.0, r.MeanClassAccuracy);
    }

    [Fact]
    public void TopFiveWithFewerClassesIsTopAllAndTheResultSerialises()
    {
        var metrics = new ClassificationMetrics(3);
        metrics.Update([0f, 1f, 2f, 2f, 1f, 0f], [0L, 0L]);
        var r = metrics.Result();
        Assert.Equal(50.0, r.Top1);
        Assert.Equal(100.0, r.Top5);
        string json = JsonSerializer.Serialize(r);
        var back = JsonSerializer.Deserialize<ClassificationResult>(json)!;
        Assert.Equal(r.Top1, back.Top1);
        Assert.Equal(r.ConfusionMatrix[0], back.ConfusionMatrix[0]);
        Assert.Null(back.PerClassAccuracy[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => metrics.Update([0f, 1f, 2f], [3L]));
    }
    [Fact]
    public void SummedCountsOfTwoHalvesGiveTheResultOfTheWhole()
    {
        float[] logits = [3, 1, 0, 0, 2, 1, 1, 0, 5, 2, 1, 0, 0, 0, 1, 4, 3, 2];
        long[] labels = [0, 1, 2, 1, 2, 0];
        var whole = new ClassificationMetrics(3);
        whole.Update(logits, labels);
        var first = new ClassificationMetrics(3);
        first.Update(logits.AsSpan(0, 9), labels.AsSpan(0, 3));
        var second = new ClassificationMetrics(3);
        second.Update(logits.AsSpan(9), labels.AsSpan(3));

        var merged = new ClassificationMetrics(3);
        merged.SetCounts(first.Counts().Zip(second.Counts(), (a, b) => a + b).ToArray());

        var expected = whole.Result();
        var actual = merged.Result();
        Assert.Equal((expected.Count, expected.Top1, expected.Top5), (actual.Count, actual.Top1, actual.Top5));
        Assert.Equal(expected.ConfusionMatrix, actual.ConfusionMatrix);
        Assert.Throws<ArgumentException>(() => merged.SetCounts(new long[5]));
    }
}
