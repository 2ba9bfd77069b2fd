using System.Collections.Concurrent;

namespace SimMim.Data;

/// <summary>
/// Reads samples for a loader and stands in for unreadable ones (corrupt, truncated, empty, unreadable files): a
/// sample that fails to load is recorded once with its reason and replaced by the next readable sample in the epoch's
/// order, so batches keep their size and stay identical for any worker count. Thread-safe. Too many unreadable files
/// (more than DATA.MAX_BAD_FRACTION of the data set) or none readable at all is a <see cref="DataException"/>.
/// </summary>
public sealed class SkippedSamples
{
    private readonly IImageDataset _dataset;
    private readonly double _maxBadFraction;
    private readonly ConcurrentDictionary<int, string> _bad = new();
    private readonly ConcurrentQueue<string> _warnings = new();
    private long _standIns;

    /// <param name="dataset">The samples.</param>
    /// <param name="maxBadFraction">DATA.MAX_BAD_FRACTION: 0 fails on the first unreadable file, 1 only when none is readable.</param>
    public SkippedSamples(IImageDataset dataset, double maxBadFraction = 1.0)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(maxBadFraction >= 0 && maxBadFraction <= 1))
            throw new ConfigException($"DATA.MAX_BAD_FRACTION must be between 0 and 1, got {maxBadFraction}");
        _dataset = dataset;
        _maxBadFraction = maxBadFraction;
    }

    /// <summary>Distinct samples found unreadable so far.</summary>
    public int BadCount => _bad.Count;

    /// <summary>
    /// The sample at <paramref name="position"/> of an epoch's <paramref name="order"/>, or when it is unreadable the
    /// first readable one after it (wrapping around).
    /// </summary>
    /// <returns>The image and the data-set index it came from (for its label).</returns>
    /// <exception cref="DataException">Too many unreadable files, or none readable.</exception>
    public (RgbImage Image, int Index) LoadOrStandIn(int[] order, int position)
    {
        for (int k = 0; k < order.Length; k++)
        {
            int index = order[(position + k) % order.Length];
            if (TryLoad(index, out RgbImage? image))
            {
                if (k > 0) Interlocked.Increment(ref _standIns);
                return (image, index);
            }
        }
        var (first, reason) = _bad.MinBy(b => b.Key);
        throw new DataException($"no readable image in the data set: all {_dataset.Count} failed to load " +
                                $"(e.g. {_dataset.Describe(first)}: {reason})");
    }

    /// <summary>Loads sample <paramref name="index"/>; false (recorded and warned once) when it is unreadable.</summary>
    /// <exception cref="DataException">This file takes the unreadable ones past DATA.MAX_BAD_FRACTION.</exception>
    public bool TryLoad(int index, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RgbImage? image)
    {
        image = null;
        if (_bad.ContainsKey(index)) return false;
        try
        {
            image = _dataset.Load(index);
            return true;
        }
        catch (DataException e)
        {
            if (_bad.TryAdd(index, e.Message))
            {
                _warnings.Enqueue($"skipped an unreadable image: {e.Message}");
                if (_bad.Count > _maxBadFraction * _dataset.Count)
                {
                    throw new DataException($"{_bad.Count} of the {_dataset.Count} images are unreadable, more than " +
                                            $"DATA.MAX_BAD_FRACTION ({_maxBadFraction}) allows; the latest: {e.Message}", e);
                }
            }
            return false;
        }
    }

    /// <summary>The warnings (one per unreadable file) since the last call, for the training thread to log.</summary>
    public IReadOnlyList<string> TakeWarnings()
    {
        var lines = new List<string>();
        while (_warnings.TryDequeue(out string? line)) lines.Add(line);
        return lines;
    }

    /// <summary>How many samples were stood in for since the last call (an epoch's count, when called at its end).</summary>
    public long TakeStandInCount() => Interlocked.Exchange(ref _standIns, 0);
}
