using SimMim.Data;
using SimMim.Masking;

namespace SimMim.Tests.Data;

public class PretrainLoaderTests
{
    private const int Size = 16;

    private static PretrainLoader Loader(IImageDataset dataset, int batchSize, int workers, int seed = 11,
        bool dropLast = true, int prefetch = 4, double maxBadFraction = 1.0) =>
        new(dataset, new PretrainTransform(Size), new RandomMaskGenerator(Size, 8, 4, 0.5), batchSize, seed, workers,
            prefetch, dropLast, maxBadFraction);

    private static List<(float[] Images, long[] Masks, long[] Shape)> Collect(IEnumerable<PretrainBatch> batches)
    {
        var result = new List<(float[], long[], long[])>();
        foreach (var batch in batches)
        {
            using (batch)
            {
                result.Add((batch.Images.data<float>().ToArray(), batch.Masks.data<long>().ToArray(), batch.Images.shape));
            }
        }
        return result;
    }

    private static void AssertSame(List<(float[] Images, long[] Masks, long[] Shape)> a, List<(float[] Images, long[] Masks, long[] Shape)> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Shape, b[i].Shape);
            Assert.Equal(a[i].Images, b[i].Images);
            Assert.Equal(a[i].Masks, b[i].Masks);
        }
    }

    [Fact]
    public void BatchesHaveTheDocumentedShapesAndTypes()
    {
        using var loader = Loader(new ProceduralDataset(20, 24), 4, 2);
        using var batch = loader.Epoch(0).First();
        Assert.Equal(new long[] { 4, 3, Size, Size }, batch.Images.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, batch.Images.dtype);
        Assert.Equal(new long[] { 4, 4, 4 }, batch.Masks.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, batch.Masks.dtype);
        // ceil(0.5 · 4 blocks) = 2 blocks of 2×2 tokens per sample.
        Assert.All(batch.Masks.sum([1, 2]).data<long>().ToArray(), n => Assert.Equal(8, n));

        // Sample 1 of the batch is the transform and mask drawn from the seed for (run seed 11, epoch 0, position 1).
        var transform = new PretrainTransform(Size);
        var expectedImage = new float[transform.OutputLength];
        var expectedMask = new long[16];
        var rng = new Random(SeedMix.Combine(11, 0, 1));
        var data = new ProceduralDataset(20, 24);
        transform.Apply(data.Load(loader.EpochOrder(0)[1]), rng, expectedImage);
        new RandomMaskGenerator(Size, 8, 4, 0.5).Generate(rng, expectedMask);
        Assert.Equal(expectedImage, batch.Images[1].data<float>().ToArray());
        Assert.Equal(expectedMask, batch.Masks[1].data<long>().ToArray());
    }

    [Fact]
    public void SameSeedGivesIdenticalBatchesForAnyWorkerCount()
    {
        var data = new ProceduralDataset(30, 24);
        using var inline = Loader(data, 4, 0);
        using var one = Loader(data, 4, 1);
        using var three = Loader(data, 4, 3, prefetch: 2);
        var reference = Collect(inline.Epoch(1));
        Assert.Equal(7, reference.Count);
        AssertSame(reference, Collect(one.Epoch(1)));
        AssertSame(reference, Collect(three.Epoch(1)));
    }

    [Fact]
    public void EachEpochReshufflesAndCoversEverySampleOnce()
    {
        using var loader = Loader(new ProceduralDataset(30, 24), 4, 2);
        int[] e0 = loader.EpochOrder(0), e1 = loader.EpochOrder(1);
        Assert.Equal(Enumerable.Range(0, 30), e0.Order());
        Assert.Equal(Enumerable.Range(0, 30), e1.Order());
        Assert.NotEqual(e0, e1);
        Assert.NotEqual(Collect(loader.Epoch(0))[0].Images, Collect(loader.Epoch(1))[0].Images);
        using var otherSeed = Loader(new ProceduralDataset(30, 24), 4, 2, seed: 12);
        Assert.NotEqual(e0, otherSeed.EpochOrder(0));
    }

    [Fact]
    public void DropLastDecidesWhetherTheShortBatchIsKept()
    {
        var data = new ProceduralDataset(30, 24);
        using var dropping = Loader(data, 7, 2);
        using var keeping = Loader(data, 7, 2, dropLast: false);
        Assert.Equal(4, dropping.BatchesPerEpoch);
        Assert.Equal(5, keeping.BatchesPerEpoch);
        Assert.Equal(4, Collect(dropping.Epoch(0)).Count);
        var kept = Collect(keeping.Epoch(0));
        Assert.Equal(5, kept.Count);
        Assert.Equal(new long[] { 2, 3, Size, Size }, kept[4].Shape);
    }

    [Fact]
    public void SkippingBatchesGivesTheSameLaterBatches()
    {
        using var loader = Loader(new ProceduralDataset(30, 24), 4, 2);
        var full = Collect(loader.Epoch(3));
        var resumed = Collect(loader.Epoch(3, skipBatches: 5));
        AssertSame(full.Skip(5).ToList(), resumed);
    }

    [Fact]
    public async Task BreakingOutEarlyStopsTheWorkers()
    {
        using var loader = Loader(new ProceduralDataset(400, 24), 4, 3, prefetch: 2);
        var run = Task.Run(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                foreach (var batch in loader.Epoch(i))
                {
                    batch.Dispose();
                    break;
                }
            }
        });
        // WaitAsync throws TimeoutException if an abandoned epoch left a worker blocked.
        await run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public void AWorkerExceptionReachesTheConsumer()
    {
        // With no unreadable sample allowed, the data error itself reaches the consumer.
        using var loader = Loader(new FailingDataset(new ProceduralDataset(40, 24), failAt: 17), 4, 3, maxBadFraction: 0);
        var ex = Assert.Throws<DataException>(() => Collect(loader.Epoch(0)));
        Assert.Contains("#17", ex.Message);
        Assert.Contains("DATA.MAX_BAD_FRACTION", ex.Message);
        using var inline = Loader(new FailingDataset(new ProceduralDataset(40, 24), failAt: 17), 4, 0, maxBadFraction: 0);
        Assert.Throws<DataException>(() => Collect(inline.Epoch(0)));
        // A bug (not a data error) is never skipped.
        using var buggy = Loader(new FailingDataset(new ProceduralDataset(40, 24), failAt: 17, bug: true), 4, 2);
        Assert.Throws<InvalidOperationException>(() => Collect(buggy.Epoch(0)));
    }

    [Fact]
    public void AnUnreadableSampleIsStoodInForByTheNextOneTheSameForAnyWorkerCount()
    {
        var data = new FailingDataset(new ProceduralDataset(40, 24), failAt: 17);
        using var inline = Loader(data, 4, 0);
        using var three = Loader(data, 4, 3);
        var batches = Collect(inline.Epoch(0));
        AssertSame(batches, Collect(three.Epoch(0)));
        Assert.Equal(10, batches.Count);
        Assert.Equal(1, inline.Skipped.BadCount);
        Assert.Equal(1, inline.Skipped.TakeStandInCount());
        Assert.Contains("#17", Assert.Single(inline.Skipped.TakeWarnings()));
        Assert.Empty(inline.Skipped.TakeWarnings());   // each file is reported once
    }

    [Fact]
    public void BatchLargerThanTheDataSetIsAConfigErrorNamingTheKey()
    {
        var ex = Assert.Throws<ConfigException>(() => Loader(new ProceduralDataset(10, 24), 11, 1));
        Assert.Contains("DATA.BATCH_SIZE", ex.Message);
    }

    [Fact]
    public void DisposedLoaderRefusesNewEpochs()
    {
        var loader = Loader(new ProceduralDataset(10, 24), 2, 1);
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Epoch(0));
    }

    private sealed class FailingDataset(IImageDataset inner, int failAt, bool bug = false) : IImageDataset
    {
        public int Count => inner.Count;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> ClassNames => inner.ClassNames;

        public int Label(int index) => inner.Label(index);

        public string Describe(int index) => inner.Describe(index);

        public RgbImage Load(int index) =>
            index != failAt ? inner.Load(index)
            : bug ? throw new InvalidOperationException("a bug")
            : throw new DataException($"cannot decode image {Describe(index)}");
    }
}
