namespace SimMim.Finetune;

/// <summary>
/// Accuracy of a classifier over an evaluation set; plain data, serialisable with System.Text.Json as it is.
/// Accuracies are percentages (0–100), as the reference reports them.
/// </summary>
/// <param name="Count">Samples seen.</param>
/// <param name="Top1">Percent of samples whose label has the highest logit.</param>
/// <param name="Top5">Percent whose label is among the min(5, classes) highest logits.</param>
/// <param name="PerClassAccuracy">Top-1 percent per true class; null for a class with no samples.</param>
/// <param name="ConfusionMatrix">[true class][predicted class] counts; the prediction is the arg-max logit.</param>
public sealed record ClassificationResult(long Count, double Top1, double Top5, IReadOnlyList<double?> PerClassAccuracy,
    long[][] ConfusionMatrix)
{
    /// <summary>Mean of the per-class accuracies over classes that have samples (balanced accuracy).</summary>
    public double? MeanClassAccuracy =>
        PerClassAccuracy.Any(a => a.HasValue) ? PerClassAccuracy.Where(a => a.HasValue).Average(a => a!.Value) : null;
}
