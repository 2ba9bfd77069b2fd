using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SimMim.Distributed;

/// <summary>
/// Flat float32 CPU buffers that hold a list of tensors back to back, cut into buckets of at most a given size
/// (a tensor larger than that gets a bucket of its own), so a collective moves many small tensors in one call.
/// Copies convert the dtype and device, so bf16 or GPU tensors travel through the same buffers.
/// </summary>
internal sealed class FlatBuckets : IDisposable
{
    private readonly Tensor[] _flats;
    private readonly Slot[][] _slots;

    /// <param name="lengths">Element count of each tensor, in the order they are packed.</param>
    /// <param name="bucketBytes">Bucket size limit in bytes.</param>
    public FlatBuckets(IReadOnlyList<long> lengths, long bucketBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, sizeof(float));
        long capacity = bucketBytes / sizeof(float);
        var buckets = new List<List<Slot>>();
        var current = new List<Slot>();
        long filled = 0;
        for (int i = 0; i < lengths.Count; i++)
        {
            long n = lengths[i];
            if (n * sizeof(float) > int.MaxValue)
                throw new NotSupportedException($"tensor {i} has {n} elements; a collective moves at most {int.MaxValue} bytes at once");
            if (filled > 0 && filled + n > capacity)
            {
                buckets.Add(current);
                current = [];
                filled = 0;
            }
            current.Add(new Slot(i, filled, n));
            filled += n;
        }
        if (current.Count > 0) buckets.Add(current);
        _slots = buckets.Select(b => b.ToArray()).ToArray();
        _flats = _slots.Select(b => zeros(b.Sum(s => s.Length), ScalarType.Float32).DetachFromDisposeScope()).ToArray();
        TotalElements = lengths.Sum();
    }

    /// <summary>Where tensor <see cref="Index"/> lives in its bucket.</summary>
    public readonly record struct Slot(int Index, long Offset, long Length);

    public int Count => _flats.Length;

    public long TotalElements { get; }

    public IReadOnlyList<Slot> Slots(int bucket) => _slots[bucket];

    public Tensor Flat(int bucket) => _flats[bucket];

    /// <summary>The bucket's memory, for handing to MPI.</summary>
    public Span<float> Span(int bucket) => MemoryMarshal.Cast<byte, float>(_flats[bucket].bytes);

    /// <summary>Copies <paramref name="source"/> (any shape, dtype, device) into its slot.</summary>
    public void Pack(int bucket, Slot slot, Tensor source)
    {
        using var flat = source.reshape(-1);
        using var target = _flats[bucket].narrow(0, slot.Offset, slot.Length);
        target.copy_(flat);
    }

    /// <summary>Copies the slot back into <paramref name="destination"/>, converting to its dtype and device.</summary>
    public void Unpack(int bucket, Slot slot, Tensor destination)
    {
        using var source = _flats[bucket].narrow(0, slot.Offset, slot.Length);
        using var shaped = source.view(destination.shape);
        destination.copy_(shaped);
    }

    public void Dispose()
    {
        foreach (var flat in _flats) flat.Dispose();
    }
}
