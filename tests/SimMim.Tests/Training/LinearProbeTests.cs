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
