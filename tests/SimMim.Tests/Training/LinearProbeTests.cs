using SimMim.Training;
using static TorchSharp.torch;

namespace SimMim.Tests.Training;

public class LinearProbeTests
{
    [Fact]
    public void OnlyTheClassifierTrainsAndItBeatsChance()
    {
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir(), epochs: 5);
        config = config with { Train = config.Train with { BaseLr = 0.05, WeightDecay = 0 } };
        var probe = new LinearProbe(config, new LinearProbeOptions(LabelFraction: 0.5));
        var result = probe.Run(new ColourDataset(1024, seed: 1), new ColourDataset(256, seed: 2));

        // Classes differ in colour, which survives the random frozen encoder's mean-pooled tokens: linearly separable.
        Assert.True(result.MaxAccuracy > 50, $"top-1 {result.MaxAccuracy:F1} %");
        Assert.Equal(2, result.Block);   // 8 clamped to depth 2
        Assert.True(File.Exists(result.Checkpoint));
        // Only the classifier is saved: BatchNorm statistics (no affine parameters) and the linear layer.
        using var head = nn.Sequential(("0", nn.BatchNorm1d(32, affine: false)), ("1", nn.Linear(32, 10)));
        SimMim.Checkpoints.TrainingCheckpoint.LoadWeights(result.Checkpoint, head);
    }

    [Fact]
    public void FeatureCachingFreesEachBatchsActivationsBeforeTheNext()
    {
        // Every intermediate tensor of a batch must be gone when the next batch is extracted (an OOM on 60k images
        // came from one scope around the whole loop); the cached features themselves must survive.
        var data = new SimMim.Data.ProceduralDataset(40, 16);
        using var loader = SimMim.Data.ClassificationLoader.ForEvaluation(data, 16, crop: false, batchSize: 8, workers: 1);
        var intermediates = new List<Tensor>();
        int checkedBatches = 0;
        Tensor Extract(Tensor images)
        {
            if (intermediates.Count > 0)
            {
                Assert.True(intermediates[^1].IsInvalid, "the previous batch's activation is still alive");
                checkedBatches++;
            }
            var activation = images * 2;   // stands in for the encoder's activations
            intermediates.Add(activation);
            return activation.mean([2, 3]);
        }

        var (features, labels) = LinearProbe.ComputeFeatures(Extract, loader, CancellationToken.None);
        Assert.Equal(4, checkedBatches);
        Assert.Equal([40L, 3L], features.shape);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)data.Label(i)).ToArray(), labels.data<long>().ToArray());
        features.Dispose();
        labels.Dispose();
    }

    [Fact]
    public void TheEncoderPassedToFeaturesIsNotChangedByTraining()
    {
        // Direct check on one encoder: a probe step leaves every encoder parameter bit-identical and gradient-free.
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir());
        using var encoder = SimMim.Models.ModelFactory.BuildEncoder(config.Model with { NumClasses = 0 }, 32, forSimMim: false);
        foreach (var p in encoder.parameters()) p.requires_grad = false;
        encoder.eval();
        var before = encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var head = nn.Linear(encoder.NumFeatures, 10);
        using var optimizer = optim.AdamW(head.parameters(), 0.1);
        var images = randn(8, 3, 32, 32);
        var features = LinearProbe.Features(encoder, images, 2);
        Assert.Equal([8L, 32L], features.shape);
        nn.functional.cross_entropy(head.call(features), randint(0, 10, [8])).backward();
        optimizer.step();
        foreach (var (key, value) in encoder.state_dict())
            Assert.True(before[key].eq(value).all().item<bool>(), key);
        Assert.All(encoder.parameters(), p => Assert.Null(p.grad));
    }
}
