using SimMim.Data;

namespace SimMim.Tests.Data;

public class DistributedSamplerTests
{
    [Fact]
    public void OneRankReadsTheOrderAsItIs()
    {
        int[] order = [4, 2, 0, 3, 1];
        var sampler = DistributedSampler.Single;
        Assert.Equal(5, sampler.SamplesPerRank(5, pad: true));
        Assert.Equal(5, sampler.SamplesPerRank(5, pad: false));
        Assert.Equal(order, Enumerable.Range(0, 5).Select(i => sampler.SampleAt(order, i)));
    }

    [Fact]
    public void PaddedRanksTakeEveryWthPositionAndWrapAroundLikePyTorch()
    {
        // PyTorch: indices += indices[:2] (10 → 12), rank r takes indices[r::3].
        int[] order = Enumerable.Range(100, 10).ToArray();
        var ranks = Enumerable.Range(0, 3).Select(r => new DistributedSampler(r, 3)).ToArray();
        Assert.All(ranks, s => Assert.Equal(4, s.SamplesPerRank(10, pad: true)));
        Assert.Equal(new[] { 100, 103, 106, 109 }, Enumerable.Range(0, 4).Select(i => ranks[0].SampleAt(order, i)));
        Assert.Equal(new[] { 101, 104, 107, 100 }, Enumerable.Range(0, 4).Select(i => ranks[1].SampleAt(order, i)));
        Assert.Equal(new[] { 102, 105, 108, 101 }, Enumerable.Range(0, 4).Select(i => ranks[2].SampleAt(order, i)));
    }

    [Fact]
    public void UnpaddedRanksTogetherReadEverySampleOnce()
    {
        int[] order = Enumerable.Range(0, 10).ToArray();
        var ranks = Enumerable.Range(0, 3).Select(r => new DistributedSampler(r, 3)).ToArray();
        Assert.Equal(new[] { 4, 3, 3 }, ranks.Select(s => s.SamplesPerRank(10, pad: false)));
        var seen = ranks.SelectMany(s => Enumerable.Range(0, s.SamplesPerRank(10, pad: false)).Select(i => s.SampleAt(order, i)));
        Assert.Equal(order, seen.Order());
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(4, 2)]
    public void LocalBatchKOfAllRanksIsGlobalBatchK(int worldSize, int localBatch)
    {
        int globalBatch = worldSize * localBatch;
        for (int k = 0; k < 5; k++)
        {
            var positions = Enumerable.Range(0, worldSize)
                .SelectMany(r => Enumerable.Range(k * localBatch, localBatch).Select(i => new DistributedSampler(r, worldSize).GlobalPosition(i)));
            Assert.Equal(Enumerable.Range(k * globalBatch, globalBatch), positions.Order());
        }
    }

    [Theory]
    [InlineData(-1, 2)]
    [InlineData(2, 2)]
    [InlineData(0, 0)]
    public void ImpossibleRanksAreRejected(int rank, int worldSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(rank, worldSize));
}
