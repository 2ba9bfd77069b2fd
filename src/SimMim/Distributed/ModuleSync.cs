using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SimMim.Distributed;

/// <summary>Keeps the replicas of a model equal across ranks: copy rank 0's state to all, and measure how far they drifted.</summary>
public static class ModuleSync
{
    /// <summary>
    /// Copies rank 0's parameters and floating-point buffers to every rank (DDP does this when it wraps the model),
    /// so training starts from one set of weights however each rank initialised or loaded them.
    /// </summary>
    public static void BroadcastFromMain(IProcessGroup group, nn.Module module)
    {
        if (group.WorldSize == 1) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var tensors = State(module);
        using var buckets = new FlatBuckets(tensors.Select(t => t.numel()).ToArray(), GradientAllReducer.DefaultBucketBytes);
        for (int b = 0; b < buckets.Count; b++)
        {
            foreach (var slot in buckets.Slots(b)) buckets.Pack(b, slot, tensors[slot.Index]);
            group.Broadcast(buckets.Span(b), root: 0);
            if (group.IsMain) continue;
            foreach (var slot in buckets.Slots(b)) buckets.Unpack(b, slot, tensors[slot.Index]);
        }
    }

    /// <summary>
    /// The largest difference between ranks of any parameter or floating-point buffer element (max over ranks minus
    /// min over ranks), the same on every rank. Data-parallel replicas that stay in step give exactly 0.
    /// </summary>
    public static double MaxSpread(IProcessGroup group, nn.Module module)
    {
        if (group.WorldSize == 1) return 0;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var tensors = State(module);
        using var buckets = new FlatBuckets(tensors.Select(t => t.numel()).ToArray(), GradientAllReducer.DefaultBucketBytes);
        double spread = 0;
        for (int b = 0; b < buckets.Count; b++)
        {
            foreach (var slot in buckets.Slots(b)) buckets.Pack(b, slot, tensors[slot.Index]);
            Tensor flat = buckets.Flat(b);
            Tensor highest = flat.clone();
            group.AllReduce(MemoryMarshal.Cast<byte, float>(highest.bytes), ReduceOp.Max);
            flat.neg_();
            group.AllReduce(buckets.Span(b), ReduceOp.Max);   // −min over ranks
            spread = Math.Max(spread, (highest + flat).max().item<float>());
        }
        return spread;
    }

    // Parameters, then floating-point buffers (integer buffers are index tables computed from the geometry).
    private static List<Tensor> State(nn.Module module) =>
        module.parameters().Cast<Tensor>().Concat(module.buffers().Where(t => is_floating_point(t))).ToList();
}
