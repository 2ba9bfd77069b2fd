using SimMim.Data;
using SimMim.Distributed;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>
/// What a training loop does differently as one rank of a data-parallel run, kept in one place so the loops only
/// gain a few calls: rank 0 alone writes files and reports; each rank reads its share of the data; gradients are
/// averaged before the optimizer step; every rank starts from rank 0's weights; the ranks agree on the logged loss
/// and on when to stop. With one process each member is the identity or a no-op, so single-process runs are unchanged.
/// </summary>
internal sealed class DataParallel : IDisposable
{
    private readonly IProcessGroup _group;
    private readonly CancellationToken _local;
    private readonly CancellationTokenSource _stop = new();
    private readonly double[] _stepValues = new double[2];
    private GradientAllReducer? _reducer;
    private (TimeSpan Time, long Calls) _epochStart;

    public DataParallel(IProcessGroup group, CancellationToken cancellation)
    {
        _group = group;
        _local = cancellation;
        Sampler = group.WorldSize == 1 ? DistributedSampler.Single : new DistributedSampler(group.Rank, group.WorldSize);
    }

    public bool IsMain => _group.IsMain;

    public int WorldSize => _group.WorldSize;

    public IProcessGroup Group => _group;

    /// <summary>This rank's share of every epoch.</summary>
    public DistributedSampler Sampler { get; }

    /// <summary>
    /// The run's stop signal. Alone it is the caller's token. Distributed, it is set on every rank after the same
    /// step (<see cref="StepLoss"/> shares each rank's request), so no rank leaves the loop while another still
    /// waits for it in a collective.
    /// </summary>
    public CancellationToken Token => WorldSize == 1 ? _local : _stop.Token;

    /// <summary>
    /// The run folder: on rank 0 created, checked writable, locked and its log open; on the other ranks one that writes
    /// nothing.
    /// </summary>
    /// <exception cref="OutputException">On rank 0: the folder cannot be written, or another run holds it.</exception>
    public RunDirectory OpenRunDirectory(string outputDir, IEnumerable<ITrainingObserver> observers) =>
        IsMain ? RunDirectory.Open(outputDir, observers) : RunDirectory.Discard(outputDir);

    /// <summary>The gradient averaging <see cref="TrainStep"/> runs before each optimizer step; null alone.</summary>
    public GradientAllReducer? Reducer(IEnumerable<Parameter> parameters)
    {
        if (WorldSize == 1) return null;
        _reducer?.Dispose();
        _reducer = new GradientAllReducer(_group, parameters);
        return _reducer;
    }

    /// <summary>
    /// Before the first step: checks that every rank resumed at the same point, copies rank 0's weights to the
    /// others. (Each rank's random stream for drop path and Mixup is seeded per step by the loops: StepSeeds with SEED + rank.)
    /// </summary>
    /// <exception cref="DistributedException">The ranks resumed from different checkpoints.</exception>
    public void Start(nn.Module model, RunPosition position, int localBatch, RunReporter reporter)
    {
        if (WorldSize == 1) return;
        double[] point = [position.StartEpoch, position.GlobalStep];
        if (Spread(point) != 0)
        {
            throw new DistributedException(
                $"the processes resumed at different points (rank {_group.Rank}: epoch {position.StartEpoch}, step {position.GlobalStep}, " +
                $"from {position.ResumedFrom ?? "no checkpoint"}); every machine must see the same checkpoint (a shared output directory)");
        }
        ModuleSync.BroadcastFromMain(_group, model);
        reporter.Log($"data parallel: {WorldSize} processes ({_group.LocalSize} on this machine, {_group.Description}); " +
                  $"global batch {localBatch * WorldSize}; torch threads per process: {get_num_threads()}" +
                  (_reducer is null ? "" : $"; gradients: {_reducer.BytesPerStep / 1048576.0:F2} MB in {_reducer.BucketCount} " +
                                           $"bucket(s) of ≤ {GradientAllReducer.DefaultBucketBytes >> 20} MB per all-reduce"));
    }

    /// <summary>
    /// The mean of the ranks' losses (what one process would log for the global batch, up to rounding) and the
    /// agreement on stopping, in one small all-reduce per step. Alone: <paramref name="loss"/> unchanged.
    /// </summary>
    public double StepLoss(double loss)
    {
        if (WorldSize == 1) return loss;
        _stepValues[0] = loss;
        _stepValues[1] = _local.IsCancellationRequested ? 1 : 0;
        _group.AllReduce<double>(_stepValues, ReduceOp.Sum);
        if (_stepValues[1] > 0) _stop.Cancel();
        return _stepValues[0] / WorldSize;
    }

    /// <summary>
    /// At the end of an epoch (on every rank): the gradient all-reduce time per optimizer step and the largest
    /// difference of any weight between ranks (0 while the replicas stay in step). Null alone.
    /// </summary>
    public string? EpochSummary(nn.Module model, TimeSpan epochTime)
    {
        if (WorldSize == 1) return null;
        double spread = ModuleSync.MaxSpread(_group, model);
        string communication = "";
        if (_reducer is not null)
        {
            long calls = _reducer.Calls - _epochStart.Calls;
            TimeSpan time = _reducer.TotalTime - _epochStart.Time;
            _epochStart = (_reducer.TotalTime, _reducer.Calls);
            if (calls > 0)
                communication = $"gradient all-reduce {time.TotalMilliseconds / calls:F2} ms per optimizer step " +
                                $"({100 * time / epochTime:F1} % of the epoch); ";
        }
        return $"data parallel: {communication}largest weight difference between processes {spread:G3}";
    }

    public void Dispose()
    {
        _reducer?.Dispose();
        _stop.Dispose();
    }

    // Max minus min over the ranks, largest over the elements.
    private double Spread(double[] values)
    {
        double[] high = (double[])values.Clone();
        double[] negatedLow = values.Select(v => -v).ToArray();
        _group.AllReduce<double>(high, ReduceOp.Max);
        _group.AllReduce<double>(negatedLow, ReduceOp.Max);
        return high.Zip(negatedLow, (h, l) => h + l).Max();
    }
}
