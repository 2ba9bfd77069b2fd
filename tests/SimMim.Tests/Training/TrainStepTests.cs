using SimMim.Masking;
using SimMim.Models;
using SimMim.Models.Vit;
using SimMim.Tests.Models;
using SimMim.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Training;

public class TrainStepTests
{
    // Tests run in parallel and share torch's global generator, so equal weights come from copying, not reseeding.
    private static (SimMimModel Model, TrainStep Step, IReadOnlyList<ParamGroup> Groups) Build(int accumulation, double clip,
        SimMimModel? copyFrom = null)
    {
        var model = new SimMimModel(new VisionTransformer(TestModels.Vit, forSimMim: true));
        if (copyFrom is not null)
            model.load_state_dict(copyFrom.state_dict());
        var groups = ParamGroups.ForPretraining(model.named_parameters(), model.NoWeightDecay, model.NoWeightDecayKeywords, 1e-2, 0.05);
        // A large eps keeps Adam's first step a smooth function of the gradient (with eps 1e-8 it is ≈ lr·sign(g),
        // which float noise flips for near-zero gradients) and makes it sensitive to the gradient's scale.
        var optimizer = optim.AdamW(groups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters,
            new TorchSharp.Modules.AdamW.Options { LearningRate = g.BaseLr, weight_decay = g.WeightDecay, eps = 1e-2 })));
        var schedule = new LrSchedule("cosine", epochs: 10, warmupEpochs: 0, stepsPerEpoch: 10, warmupLr: 0, minLr: 0);
        return (model, new TrainStep(optimizer, groups, schedule, stepsPerEpoch: 10, accumulation, clip), groups);
    }

    private static (Tensor Images, Tensor Masks) Batch(int n)
    {
        var generator = new Generator(5);
        var images = randn([n, 3, 16, 16], generator: generator);
        // Same masked count in every image, so mean-of-halves equals the mean of the whole batch.
        var masks = new RandomMaskGenerator(16, 8, 4, 0.5);
        var data = new long[n * 16];
        var rng = new Random(3);
        for (int i = 0; i < n; i++) masks.Generate(rng, data.AsSpan(i * 16, 16));
        return (images, tensor(data, [n, 4, 4]));
    }

    [Fact]
    public void TwoAccumulatedHalvesStepLikeOneFullBatch()
    {
        var (images, masks) = Batch(8);
        var (whole, wholeStep, _) = Build(accumulation: 1, clip: 5.0);
        var (halves, halvesStep, _) = Build(accumulation: 2, clip: 5.0, copyFrom: whole);

        var wholeResult = wholeStep.Run(whole.call(images, masks).Loss, 0, 0);
        Assert.True(wholeResult.Stepped);
        Assert.False(halvesStep.Run(halves.call(images[..4], masks[..4]).Loss, 0, 0).Stepped);
        var halvesResult = halvesStep.Run(halves.call(images[4..], masks[4..]).Loss, 1, 1);
        Assert.True(halvesResult.Stepped);

        Assert.Equal(wholeResult.GradNorm, halvesResult.GradNorm, 4);
        foreach (var ((name, a), (_, b)) in whole.named_parameters().Zip(halves.named_parameters()))
            Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-6), name);
    }

    [Fact]
    public void StepsWithTheScheduledLrAndReportsTheUnclippedNorm()
    {
        var (images, masks) = Batch(4);
        var (model, step, groups) = Build(accumulation: 1, clip: 1e-3);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var result = step.Run(model.call(images, masks).Loss, 0, 0);
        Assert.True(result.GradNorm > 1e-3);
        Assert.Equal(0, result.ScheduleUpdate);
        Assert.Equal(0, step.ScheduleUpdate);
        Assert.Equal(groups[0].BaseLr, result.Lr, 12);
        Assert.Contains(model.parameters().Zip(before), pair => !pair.First.equal(pair.Second).all().item<bool>());
    }
}
