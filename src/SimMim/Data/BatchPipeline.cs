using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace SimMim.Data;

/// <summary>
/// One pass of a loader over an epoch's batches (the worker machinery shared by <see cref="PretrainLoader"/> and
/// <see cref="ClassificationLoader"/>). Workers claim batch indices in increasing order, each only after taking one
/// of <c>prefetch</c> buffers, so the batch the consumer waits for is always claimed before any later one and the
/// pipeline cannot deadlock. With 0 workers the consumer fills each batch itself.
/// </summary>
internal sealed class BatchPipeline<TBuffer> : IDisposable where TBuffer : class
{
    private readonly Action<int, TBuffer, CancellationToken> _fill;
    private readonly TaskCompletionSource<TBuffer>[] _results;
    private readonly ConcurrentBag<TBuffer> _pool = [];
    private readonly SemaphoreSlim _free;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Thread[] _threads;
    private int _nextBatch;
    private ExceptionDispatchInfo? _failure;
    private int _disposed;

    /// <param name="firstBatch">The first batch index the consumer will take.</param>
    /// <param name="batchCount">Batches in the epoch.</param>
    /// <param name="workers">Filling threads; 0 fills on the consuming thread.</param>
    /// <param name="prefetch">Buffers, i.e. batches in progress or ready at most.</param>
    /// <param name="newBuffer">Makes one reusable batch buffer.</param>
    /// <param name="fill">Fills batch k into a buffer; checks the token between samples.</param>
    public BatchPipeline(int firstBatch, int batchCount, int workers, int prefetch, Func<TBuffer> newBuffer,
        Action<int, TBuffer, CancellationToken> fill)
    {
        _fill = fill;
        _nextBatch = firstBatch - 1;
        _results = new TaskCompletionSource<TBuffer>[batchCount];
        for (int k = firstBatch; k < _results.Length; k++)
        {
            _results[k] = new TaskCompletionSource<TBuffer>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        int buffers = workers == 0 ? 1 : prefetch;
        for (int i = 0; i < buffers; i++)
        {
            _pool.Add(newBuffer());
        }
        _free = new SemaphoreSlim(buffers);
        _threads = new Thread[workers];
        for (int w = 0; w < _threads.Length; w++)
        {
            _threads[w] = new Thread(Work) { IsBackground = true, Name = $"SimMim data worker {w}" };
            _threads[w].Start();
        }
    }

    /// <summary>Blocks until batch <paramref name="k"/> is ready; rethrows a worker's exception.</summary>
    public TBuffer Take(int k)
    {
        if (_threads.Length == 0)
        {
            var buffer = Rent();
            _fill(k, buffer, CancellationToken.None);
            return buffer;
        }
        try
        {
            _results[k].Task.Wait(_cancel.Token);
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            _failure.Throw();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
        return _results[k].Task.Result;
    }

    public void Return(TBuffer buffer)
    {
        _pool.Add(buffer);
        _free.Release();
    }

    /// <summary>
    /// Batches <paramref name="first"/>..<paramref name="count"/>−1 in order, each made by <paramref name="toBatch"/>
    /// while its buffer is held; the buffer then goes back to the workers.
    /// </summary>
    public IEnumerable<TBatch> Drain<TBatch>(int first, int count, Func<TBuffer, TBatch> toBatch)
    {
        for (int k = first; k < count; k++)
        {
            TBuffer buffer = Take(k);
            TBatch batch;
            try
            {
                batch = toBatch(buffer);
            }
            finally
            {
                Return(buffer);
            }
            yield return batch;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _cancel.Cancel();
        foreach (var thread in _threads)
        {
            // A worker finishes at most the sample it is decoding: fill checks the token between samples.
            thread.Join();
        }
        _cancel.Dispose();
        _free.Dispose();
    }

    private TBuffer Rent()
    {
        _free.Wait();
        return _pool.TryTake(out var buffer) ? buffer : throw new InvalidOperationException("buffer pool out of sync with its semaphore");
    }

    private void Work()
    {
        var token = _cancel.Token;
        int k = -1;
        try
        {
            while (true)
            {
                _free.Wait(token);
                k = Interlocked.Increment(ref _nextBatch);
                if (k >= _results.Length)
                {
                    _free.Release();
                    return;
                }
                if (!_pool.TryTake(out var buffer))
                {
                    throw new InvalidOperationException("buffer pool out of sync with its semaphore");
                }
                try
                {
                    _fill(k, buffer, token);
                }
                catch
                {
                    _pool.Add(buffer);
                    throw;
                }
                _results[k].SetResult(buffer);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The consumer stopped early or the loader was disposed.
        }
        catch (Exception e)
        {
            // Record first, then cancel: a consumer woken by the cancellation must find the failure.
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            if (k >= 0 && k < _results.Length)
            {
                _results[k].TrySetException(e);
            }
            _cancel.Cancel();
        }
    }
}
