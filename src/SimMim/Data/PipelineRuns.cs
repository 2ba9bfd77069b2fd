using System.Collections.Concurrent;

namespace SimMim.Data;

/// <summary>
/// The epoch passes (<see cref="BatchPipeline{TBuffer}"/>) a loader has started and not finished. A pass ends when
/// its enumeration does (to the end, or a break out of the foreach); disposing the loader stops any still running,
/// so no worker thread outlives its loader. Shared by <see cref="PretrainLoader"/> and <see cref="ClassificationLoader"/>.
/// </summary>
internal sealed class PipelineRuns : IDisposable
{
    private readonly ConcurrentDictionary<IDisposable, byte> _active = new();
    private bool _disposed;

    /// <summary>
    /// Batches <paramref name="firstBatch"/> … <paramref name="batches"/> − 1 of the run <paramref name="start"/> makes,
    /// each made by <paramref name="toBatch"/> from its filled buffer. The run starts at the first MoveNext, not before
    /// (an epoch asked for but never enumerated starts no worker), and is disposed when the enumeration ends.
    /// </summary>
    public IEnumerable<TBatch> Drain<TBuffer, TBatch>(Func<BatchPipeline<TBuffer>> start, int firstBatch, int batches,
        Func<TBuffer, TBatch> toBatch) where TBuffer : class
    {
        var run = start();
        _active[run] = 0;
        try
        {
            foreach (var batch in run.Drain(firstBatch, batches, toBatch))
                yield return batch;
        }
        finally
        {
            _active.TryRemove(run, out _);
            run.Dispose();
        }
    }

    /// <exception cref="ObjectDisposedException">The loader (<paramref name="owner"/>) was disposed.</exception>
    public void ThrowIfDisposed(object owner) => ObjectDisposedException.ThrowIf(_disposed, owner);

    public void Dispose()
    {
        _disposed = true;
        foreach (var run in _active.Keys) run.Dispose();
    }
}
