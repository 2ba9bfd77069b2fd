using static TorchSharp.torch;

namespace SimMim.Finetune;

/// <summary>
/// Accumulates top-1, top-5, per-class accuracy and the confusion matrix over batches of logits and labels
/// (the reference's validate(): timm's accuracy with topk = (1, 5)).
/// </summary>
public sealed class ClassificationMetrics
{
    private readonly long[,] _confusion;
    private long _count;
    private long _top1;
    private long _top5;

    public ClassificationMetrics(int numClasses)
    {
        if (numClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "at least one class");
        NumClasses = numClasses;
        _confusion = new long[numClasses, numClasses];
    }

    public int NumClasses { get; }

    /// <summary>Adds a batch: logits (B, classes), labels (B) of class indices.</summary>
    public void Update(Tensor logits, Tensor labels)
    {
        if (logits.dim() != 2 || logits.shape[1] != NumClasses || labels.dim() != 1 || labels.shape[0] != logits.shape[0])
        {
            throw new ArgumentException(
                $"expected logits (B, {NumClasses}) and labels (B), got [{string.Join(",", logits.shape)}] and [{string.Join(",", labels.shape)}]");
        }
        float[] values = logits.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        long[] classes = labels.cpu().to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
        Update(values, classes);
    }

    /// <summary>Adds a batch given as row-major logits (B·classes) and labels (B).</summary>
    public void Update(ReadOnlySpan<float> logits, ReadOnlySpan<long> labels)
    {
        int k = NumClasses, topK = Math.Min(5, k);
        if (logits.Length != labels.Length * k)
            throw new ArgumentException($"{logits.Length} logits for {labels.Length} labels of {k} classes");
        for (int i = 0; i < labels.Length; i++)
        {
            long label = labels[i];
            if (label < 0 || label >= k)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"label outside 0…{k - 1}");
            var row = logits.Slice(i * k, k);
            int predicted = 0, above = 0;
            float own = row[(int)label];
            for (int c = 0; c < k; c++)
            {
                if (row[c] > row[predicted]) predicted = c;   // first maximum, as argmax
                if (row[c] > own) above++;
            }
            // The label is within the top k when fewer than k classes score strictly higher (ties count in its favour).
            if (above < 1) _top1++;
            if (above < topK) _top5++;
            _confusion[label, predicted]++;
            _count++;
        }
    }

    /// <summary>The raw tallies as one vector (count, top-1 hits, top-5 hits, confusion matrix row by row), for summing over ranks.</summary>
    public long[] Counts()
    {
        var counts = new long[3 + NumClasses * NumClasses];
        (counts[0], counts[1], counts[2]) = (_count, _top1, _top5);
        int i = 3;
        foreach (long n in _confusion) counts[i++] = n;
        return counts;
    }

    /// <summary>Replaces the tallies by <paramref name="counts"/> in the layout of <see cref="Counts"/> (e.g. their sum over ranks).</summary>
    public void SetCounts(ReadOnlySpan<long> counts)
    {
        if (counts.Length != 3 + NumClasses * NumClasses)
            throw new ArgumentException($"expected {3 + NumClasses * NumClasses} counts for {NumClasses} classes, got {counts.Length}");
        (_count, _top1, _top5) = (counts[0], counts[1], counts[2]);
        for (int t = 0; t < NumClasses; t++)
            for (int p = 0; p < NumClasses; p++)
                _confusion[t, p] = counts[3 + t * NumClasses + p];
    }

    public ClassificationResult Result()
    {
        int k = NumClasses;
        var matrix = new long[k][];
        var perClass = new double?[k];
        for (int t = 0; t < k; t++)
        {
            matrix[t] = new long[k];
            for (int p = 0; p < k; p++) matrix[t][p] = _confusion[t, p];
            long total = matrix[t].Sum();
            perClass[t] = total == 0 ? null : 100.0 * matrix[t][t] / total;
        }
        return new ClassificationResult(_count, Percent(_top1), Percent(_top5), perClass, matrix);
    }

    private double Percent(long n) => _count == 0 ? 0 : 100.0 * n / _count;
}
