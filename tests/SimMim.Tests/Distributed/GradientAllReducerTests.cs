using SimMim.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Tests.Distributed;

public class GradientAllReducerTests
{
    // Parameters of different sizes with distinct random gradients; the last one has none.
    private static List<Parameter> ParametersWithGradients()
    {
        random.manual_seed(7);
        var parameters = new List<Parameter>
        {
            new(randn(3, 4)), new(randn(17)), new(randn(2, 2, 2)), new(randn(40)), new(randn(5)), new(randn(6)),
        };
        using (var scope = NewDisposeScope())
        {
            var weights = parameters.Take(5).Select(p => randn(p.shape)).ToList();
            parameters.Take(5).Zip(weights, (p, w) => (p * w).sum()).Aggregate((a, b) => a + b).backward();
        }
        return parameters;
    }

    [Theory]
    [InlineData(GradientAllReducer.DefaultBucketBytes, 1)]
    [InlineData(64, 5)]   // 16 floats a bucket: [5+6] [40] [8] [17] [12] in reverse order
    public void GradientsBecomeTheMeanOverRanksWhateverTheBuckets(long bucketBytes, int buckets)
    {
        var parameters = ParametersWithGradients();
        var before = parameters.Take(5).Select(p => p.grad!.clone()).ToList();
        // The other rank's gradients are three times ours: the mean is twice ours.
        var group = new ScriptedPeerGroup(rank: 0, peerFactor: 3);
        using var reducer = new GradientAllReducer(group, parameters, bucketBytes);

        reducer.AllReduce();

        Assert.Equal(buckets, reducer.BucketCount);
        Assert.Equal(buckets, group.AllReduceCalls);
        Assert.Equal((12 + 17 + 8 + 40 + 5 + 6) * 4L, reducer.BytesPerStep);
        for (int i = 0; i < 5; i++)
            Assert.True(parameters[i].grad!.allclose(before[i] * 2, rtol: 1e-6, atol: 0), $"parameter {i}");
        Assert.Null(parameters[5].grad);
        Assert.Equal(1, reducer.Calls);
    }

    [Fact]
    public void BroadcastGivesEveryOtherRankTheMainRanksFloatingPointState()
    {
        using var module = nn.Sequential(("0", nn.Linear(3, 2)), ("1", nn.BatchNorm1d(2)));
        using (no_grad())
        {
            ModuleSync.BroadcastFromMain(new ScriptedPeerGroup(rank: 1, broadcastValue: 7), module);
        }
        Assert.All(module.parameters(), p => Assert.True(p.eq(7).all().item<bool>()));
        var buffers = module.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        Assert.True(buffers["1.running_mean"].eq(7).all().item<bool>());
        Assert.Equal(0, buffers["1.num_batches_tracked"].item<long>());   // integer buffers are not sent
    }

    [Fact]
    public void TheMainRankKeepsItsOwnState()
    {
        using var module = nn.Linear(3, 2);
        var weight = module.weight!.clone();
        ModuleSync.BroadcastFromMain(new ScriptedPeerGroup(rank: 0, broadcastValue: 7), module);
        Assert.True(module.weight!.eq(weight).all().item<bool>());
    }
}
