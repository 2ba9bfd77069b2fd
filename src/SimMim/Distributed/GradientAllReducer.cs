using System.Diagnostics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Distributed;

/// <summary>
/// Averages the gradients over the ranks before the optimizer step, as PyTorch's DistributedDataParallel does:
/// gradients are packed into flat float32 buckets of at most 25 MB (DDP's bucket_cap_mb) in reverse parameter order
/// (roughly the order backward produces them, as DDP assigns buckets), each bucket is summed over the ranks by one
/// all-reduce and divided by the world size. With equal local batches and a mean loss this gives every rank the
/// gradient of the global batch. Runs after backward has finished (TorchSharp 0.107 has no gradient hooks to
/// overlap it with backward; docs/DISTRIBUTED.md).
/// </summary>
public sealed class GradientAllReducer : IDisposable
{
    public const long DefaultBucketBytes = 25L * 1024 * 1024;

    private readonly IProcessGroup _group;
    private readonly Parameter[] _parameters;
    private readonly FlatBuckets _buckets;
    private readonly Stopwatch _communication = new();
    private readonly Stopwatch _total = new();

    /// <param name="group">The ranks to average over.</param>
    /// <param name="parameters">The trained parameters, in registration order; every rank must give the same list.</param>
    /// <param name="bucketBytes">Bucket size limit.</param>
    public GradientAllReducer(IProcessGroup group, IEnumerable<Parameter> parameters, long bucketBytes = DefaultBucketBytes)
    {
        _group = group;
        _parameters = parameters.Reverse().ToArray();
        _buckets = new FlatBuckets(_parameters.Select(p => p.numel()).ToArray(), bucketBytes);
    }

    public int BucketCount => _buckets.Count;

    /// <summary>Bytes each all-reduce round carries: every gradient element as float32.</summary>
    public long BytesPerStep => _buckets.TotalElements * sizeof(float);

    /// <summary>Time spent inside the all-reduce calls since construction.</summary>
    public TimeSpan CommunicationTime => _communication.Elapsed;

    /// <summary>Time spent in <see cref="AllReduce"/> since construction, packing and unpacking included.</summary>
    public TimeSpan TotalTime => _total.Elapsed;

    /// <summary>Number of <see cref="AllReduce"/> calls since construction.</summary>
    public long Calls { get; private set; }

    /// <summary>
    /// Replaces every parameter's gradient by its mean over the ranks. A parameter without a gradient contributes
    /// zeros and keeps no gradient (the ranks run the same graph, so they agree on which parameters are unused).
    /// </summary>
    public void AllReduce()
    {
        _total.Start();
        using (no_grad())
        using (NewDisposeScope())
        {
            for (int b = 0; b < _buckets.Count; b++)
            {
                var slots = _buckets.Slots(b);
                var grads = new Tensor?[slots.Count];
                for (int i = 0; i < slots.Count; i++)
                {
                    grads[i] = _parameters[slots[i].Index].grad;
                    if (grads[i] is { } grad)
                        _buckets.Pack(b, slots[i], grad);
                    else
                        _buckets.Flat(b).narrow(0, slots[i].Offset, slots[i].Length).zero_();
                }
                _communication.Start();
                _group.AllReduce(_buckets.Span(b), ReduceOp.Sum);
                _communication.Stop();
                _buckets.Flat(b).div_(_group.WorldSize);
                for (int i = 0; i < slots.Count; i++)
                {
                    if (grads[i] is { } grad)
                        _buckets.Unpack(b, slots[i], grad);
                }
            }
        }
        Calls++;
        _total.Stop();
    }

    public void Dispose() => _buckets.Dispose();
}
