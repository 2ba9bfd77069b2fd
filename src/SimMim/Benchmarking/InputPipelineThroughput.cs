using System.Diagnostics;
using SimMim.Data;
using SimMim.Masking;

namespace SimMim.Benchmarking;

/// <summary>
/// Images per second the pretraining loader delivers on its own (decode, RandomResizedCrop, flip, normalise, mask,
/// batch to tensors) with its worker threads, nothing else running: whether it can keep the model fed.
/// </summary>
public static class InputPipelineThroughput
{
    /// <summary>Times <paramref name="batches"/> batches after the first (which pays for thread start-up), over as many epochs as needed.</summary>
    /// <exception cref="DataException">The data set is smaller than one batch.</exception>
    public static double Measure(IImageDataset dataset, PretrainTransform transform, IMaskGenerator masks, int batchSize,
        int workers, int batches, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batches, 1);
        using var loader = new PretrainLoader(dataset, transform, masks, batchSize, seed, workers);
        var clock = new Stopwatch();
        int seen = 0, images = 0;
        for (int epoch = 0; seen <= batches; epoch++)
        {
            foreach (PretrainBatch batch in loader.Epoch(epoch))
            {
                using (batch)
                {
                    if (seen == 0)
                        clock.Start();
                    else
                        images += (int)batch.Images.shape[0];
                }
                if (++seen > batches)
                    break;
            }
        }
        return images / clock.Elapsed.TotalSeconds;
    }
}
