using System.Runtime.InteropServices;
using TorchSharp;

namespace SimMim.Data;

/// <summary>
/// The fine-tune / linear-probe / evaluation DataLoader: labelled batches of (images, int64 labels). Training mode
/// shuffles per epoch and drops the last incomplete batch (the reference's train loader) and augments with
/// <see cref="FinetuneTransform"/>; evaluation mode keeps the data set's order and every sample and uses the
/// deterministic <see cref="FinetuneEvalTransform"/>. Decoding runs on background threads; every random draw of a
/// sample is seeded by (seed, epoch, position), so batches do not depend on the worker count or timing.
/// </summary>
public sealed class ClassificationLoader : IDisposable
{
    private readonly IImageDataset _dataset;
    private readonly FinetuneTransform? _train;
    private readonly bool _crop;
    private readonly int _seed;
    private readonly int _workers;
    private readonly int _prefetch;
    private readonly DistributedSampler _sampler;
    private readonly int _rankSamples;
    private readonly SkippedSamples _samples;
    private readonly PipelineRuns _runs = new();

    private ClassificationLoader(IImageDataset dataset, FinetuneTransform? train, int imgSize, bool crop, int batchSize,
        int seed, int workers, int prefetch, double maxBadFraction, DistributedSampler? sampler)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0)
            throw new ConfigException($"DATA.BATCH_SIZE must be positive, got {batchSize}");
        if (dataset.Count == 0)
            throw new DataException("the data set is empty");
        if (train is not null && batchSize > dataset.Count)
            throw new ConfigException($"DATA.BATCH_SIZE ({batchSize}) is larger than the training set ({dataset.Count} images)");
        if (workers < 0)
            throw new ConfigException($"DATA.NUM_WORKERS must be 0 or more, got {workers}");
        ArgumentOutOfRangeException.ThrowIfLessThan(prefetch, 1);
        _dataset = dataset;
        _train = train;
        _crop = crop;
        ImgSize = imgSize;
        BatchSize = batchSize;
        _seed = seed;
        _workers = workers;
        _prefetch = prefetch;
        _sampler = sampler ?? DistributedSampler.Single;
        // Training pads to a multiple of the world size like the reference's sampler; evaluation counts each sample once.
        _rankSamples = _sampler.SamplesPerRank(dataset.Count, pad: train is not null);
        if (train is not null && batchSize > _rankSamples)
            throw new ConfigException($"DATA.BATCH_SIZE ({batchSize}) is larger than each process's share of the training set " +
                                      $"({_rankSamples} of {dataset.Count} images over {_sampler.WorldSize} processes)");
        _samples = new SkippedSamples(dataset, maxBadFraction);
        BatchesPerEpoch = train is not null ? _rankSamples / batchSize : (_rankSamples + batchSize - 1) / batchSize;
    }

    /// <summary>
    /// Shuffled, drop_last, augmented by <paramref name="transform"/>; an unreadable sample is stood in for by the next
    /// readable one (see <see cref="SkippedSamples"/>); <paramref name="sampler"/> = this rank's share.
    /// </summary>
    /// <exception cref="DataException">The data set is empty.</exception>
    /// <exception cref="ConfigException">The batch is larger than the data set (or this rank's share of it).</exception>
    public static ClassificationLoader ForTraining(IImageDataset dataset, FinetuneTransform transform, int batchSize,
        int seed, int workers, int prefetch = 4, double maxBadFraction = 1.0, DistributedSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return new ClassificationLoader(dataset, transform, transform.ImgSize, crop: true, batchSize, seed, workers, prefetch,
            maxBadFraction, sampler);
    }

    /// <summary>
    /// In order, every readable sample, the evaluation view (resize + centre crop when <paramref name="crop"/>,
    /// TEST.CROP); an unreadable sample is left out of its batch. With a <paramref name="sampler"/>, every W-th sample
    /// from the rank's index, so the ranks together see each once.
    /// </summary>
    public static ClassificationLoader ForEvaluation(IImageDataset dataset, int imgSize, bool crop, int batchSize,
        int workers, int prefetch = 4, double maxBadFraction = 1.0, DistributedSampler? sampler = null) =>
        new(dataset, null, imgSize, crop, batchSize, seed: 0, workers, prefetch, maxBadFraction, sampler);

    public IImageDataset Dataset => _dataset;

    public int ImgSize { get; }

    public int BatchSize { get; }

    public int BatchesPerEpoch { get; }

    public bool IsTraining => _train is not null;

    /// <summary>The unreadable samples met so far and the warnings about them.</summary>
    public SkippedSamples Skipped => _samples;

    /// <summary>Floats per output image: 3·S·S.</summary>
    private int OutputLength => 3 * ImgSize * ImgSize;

    /// <summary>
    /// The batches of <paramref name="epoch"/> in order, starting at batch <paramref name="skipBatches"/> (for resuming
    /// mid-epoch). Dispose each batch; breaking out stops the workers.
    /// </summary>
    /// <exception cref="DataException">Too many unreadable samples (thrown where the consumer reaches them).</exception>
    public IEnumerable<ClassificationBatch> Epoch(int epoch = 0, int skipBatches = 0)
    {
        _runs.ThrowIfDisposed(this);
        ArgumentOutOfRangeException.ThrowIfNegative(skipBatches);
        return Iterate(epoch, Math.Min(skipBatches, BatchesPerEpoch));
    }

    /// <summary>Training: a Fisher–Yates permutation seeded by (seed, epoch); evaluation: 0…N−1.</summary>
    public int[] EpochOrder(int epoch)
        => _train is not null ? SampleOrder.Shuffled(_dataset.Count, _seed, epoch) : SampleOrder.Sequential(_dataset.Count);

    public void Dispose() => _runs.Dispose();

    // The order and the workers are made when the enumeration starts (see PipelineRuns.Drain).
    private IEnumerable<ClassificationBatch> Iterate(int epoch, int firstBatch) => _runs.Drain(() =>
        {
            int[] order = EpochOrder(epoch);
            return new BatchPipeline<Buffer>(firstBatch, BatchesPerEpoch, _workers, _prefetch,
                () => new Buffer(BatchSize * OutputLength, BatchSize),
                (k, buffer, cancellation) => Fill(epoch, order, k, buffer, cancellation));
        },
        firstBatch, BatchesPerEpoch, ToTensors);

    private ClassificationBatch ToTensors(Buffer buffer)
    {
        int n = buffer.Count, s = ImgSize;
        var images = torch.empty([n, 3, s, s], torch.ScalarType.Float32);
        var labels = torch.empty([n], torch.ScalarType.Int64);
        buffer.Images.AsSpan(0, n * OutputLength).CopyTo(MemoryMarshal.Cast<byte, float>(images.bytes));
        buffer.Labels.AsSpan(0, n).CopyTo(MemoryMarshal.Cast<byte, long>(labels.bytes));
        // Detached so a dispose scope open around the loop cannot dispose a batch the consumer still owns.
        return new ClassificationBatch(images.DetachFromDisposeScope(), labels.DetachFromDisposeScope());
    }

    private void Fill(int epoch, int[] order, int batchIndex, Buffer buffer, CancellationToken cancellation)
    {
        int start = batchIndex * BatchSize;
        int n = Math.Min(BatchSize, _rankSamples - start);
        int pixels = OutputLength;
        int filled = 0;
        for (int i = 0; i < n; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            int position = _sampler.GlobalPosition(start + i);
            var destination = buffer.Images.AsSpan(filled * pixels, pixels);
            int index;
            if (_train is not null)
            {
                (RgbImage image, index) = _samples.LoadOrStandIn(order, position);
                _train.Apply(image, new Random(SeedMix.Combine(_seed, epoch, position)), destination);
            }
            else
            {
                // Evaluation scores each readable image once: an unreadable one is left out, not replaced.
                index = order[position];
                if (!_samples.TryLoad(index, out RgbImage? image)) continue;
                FinetuneEvalTransform.Apply(image, ImgSize, _crop, destination);
            }
            buffer.Labels[filled++] = _dataset.Label(index);
        }
        buffer.Count = filled;
    }

    private sealed class Buffer(int images, int labels)
    {
        public float[] Images { get; } = new float[images];

        public long[] Labels { get; } = new long[labels];

        public int Count { get; set; }
    }
}
