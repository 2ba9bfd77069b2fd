using SimMim.Data;
using SimMim.Masking;

namespace SimMim.Tests.Data;

/// <summary>
/// Data-parallel loaders: rank r's i-th sample of local batch k is, pixel for pixel and mask for mask, sample
/// W·i + r of the one-process batch k with the global batch size, so the ranks together train on the same batches.
/// </summary>
public class ShardedLoaderTests
{
    private const int Size = 16;

    private static PretrainLoader Pretrain(IImageDataset data, int batch, DistributedSampler? sampler = null) =>
        new(data, new PretrainTransform(Size), new RandomMaskGenerator(Size, 8, 4, 0.5), batch, seed: 5, workers: 2, sampler: sampler);

    private static List<(float[] Images, long[] Other)> Collect(IEnumerable<PretrainBatch> batches) =>
        batches.Select(b => { using (b) return (b.Images.data<float>().ToArray(), b.Masks.data<long>().ToArray()); }).ToList();

    private static List<(float[] Images, long[] Other)> Collect(IEnumerable<ClassificationBatch> batches) =>
        batches.Select(b => { using (b) return (b.Images.data<float>().ToArray(), b.Labels.data<long>().ToArray()); }).ToList();

    // Sample i of a batch: its image and its mask (or label).
    private static (float[], long[]) Sample((float[] Images, long[] Other) batch, int i, int batchSize)
    {
        int pixels = batch.Images.Length / batchSize, other = batch.Other.Length / batchSize;
        return (batch.Images[(i * pixels)..((i + 1) * pixels)], batch.Other[(i * other)..((i + 1) * other)]);
    }

    private static void AssertInterleaved(List<(float[], long[])> single, List<(float[], long[])>[] ranks, int localBatch)
    {
        int w = ranks.Length;
        Assert.All(ranks, r => Assert.Equal(single.Count, r.Count));
        for (int k = 0; k < single.Count; k++)
        {
            for (int r = 0; r < w; r++)
            {
                for (int i = 0; i < localBatch; i++)
                {
                    var (image, other) = Sample(ranks[r][k], i, localBatch);
                    var (expectedImage, expectedOther) = Sample(single[k], w * i + r, w * localBatch);
                    Assert.Equal(expectedImage, image);
                    Assert.Equal(expectedOther, other);
                }
            }
        }
    }

    [Fact]
    public void PretrainShardsTogetherAreTheOneProcessBatches()
    {
        var data = new ProceduralDataset(30, 24);
        using var single = Pretrain(data, 6);
        using var rank0 = Pretrain(data, 3, new DistributedSampler(0, 2));
        using var rank1 = Pretrain(data, 3, new DistributedSampler(1, 2));
        Assert.Equal(5, single.BatchesPerEpoch);
        AssertInterleaved(Collect(single.Epoch(2)), [Collect(rank0.Epoch(2)), Collect(rank1.Epoch(2))], 3);
    }

    [Fact]
    public void FinetuneTrainingShardsTogetherAreTheOneProcessBatches()
    {
        var data = new ProceduralDataset(40, 24);
        var transform = new FinetuneTransform(Size);
        using var single = ClassificationLoader.ForTraining(data, transform, 8, seed: 3, workers: 2);
        var ranks = Enumerable.Range(0, 4)
            .Select(r => ClassificationLoader.ForTraining(data, transform, 2, seed: 3, workers: 1, sampler: new DistributedSampler(r, 4)))
            .ToArray();
        try
        {
            AssertInterleaved(Collect(single.Epoch(1)), ranks.Select(l => Collect(l.Epoch(1))).ToArray(), 2);
        }
        finally
        {
            foreach (var loader in ranks) loader.Dispose();
        }
    }

    [Fact]
    public void EvaluationShardsTogetherHoldEverySampleOnce()
    {
        var data = new ProceduralDataset(11, 24);
        using var single = ClassificationLoader.ForEvaluation(data, Size, crop: true, batchSize: 11, workers: 0);
        var all = Collect(single.Epoch()).Single();
        for (int r = 0; r < 2; r++)
        {
            using var shard = ClassificationLoader.ForEvaluation(data, Size, crop: true, batchSize: 4, workers: 1,
                sampler: new DistributedSampler(r, 2));
            var batches = Collect(shard.Epoch());
            int seen = 0;
            foreach (var batch in batches)
            {
                int n = batch.Other.Length;
                for (int i = 0; i < n; i++, seen++)
                {
                    var (image, label) = Sample(batch, i, n);
                    var (expectedImage, expectedLabel) = Sample(all, 2 * seen + r, 11);
                    Assert.Equal(expectedImage, image);
                    Assert.Equal(expectedLabel, label);
                }
            }
            Assert.Equal(r == 0 ? 6 : 5, seen);
        }
    }

    [Fact]
    public void ABatchLargerThanEachShareIsAConfigException()
    {
        var ex = Assert.Throws<ConfigException>(() => Pretrain(new ProceduralDataset(10, 24), 6, new DistributedSampler(0, 2)));
        Assert.Contains("DATA.BATCH_SIZE (6)", ex.Message);
        Assert.Contains("5 of 10 images over 2 processes", ex.Message);
    }
}
