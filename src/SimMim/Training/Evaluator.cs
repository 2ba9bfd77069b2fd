using System.Text.Json;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Distributed;
using SimMim.Finetune;
using SimMim.IO;
using SimMim.Models;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>An evaluation: what was evaluated on what, the mean cross-entropy and the accuracies.</summary>
public sealed record EvalReport(string Checkpoint, string DataPath, IReadOnlyList<string> ClassNames, double Loss,
    ClassificationResult Result);

/// <summary>
/// The reference's validate(): the model in eval mode without gradients over the ordered validation set; mean
/// cross-entropy, top-1/top-5, per-class accuracy and the confusion matrix. Also the `simmim eval` run, which loads a
/// fine-tuned checkpoint strictly and writes eval.json.
/// </summary>
public static class Evaluator
{
    public const string ReportFileName = "eval.json";

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Evaluates a fine-tune encoder (its head gives the logits). Leaves the encoder in eval mode.</summary>
    public static (ClassificationResult Result, double Loss) Evaluate(MaskedImageEncoder encoder, ClassificationLoader loader,
        int numClasses, CancellationToken cancellation = default, IProcessGroup? group = null)
    {
        encoder.eval();
        return Evaluate(encoder.Classify, loader, numClasses, cancellation, group);
    }

    /// <summary>
    /// Evaluates any classifier images (B, 3, S, S) → logits (B, classes) over <paramref name="loader"/> in order. With a
    /// <paramref name="group"/> of several ranks, each loader holds a share of the set and the tallies are summed over the
    /// ranks, so every rank gets the result for the whole set (the reference reduces top-1/top-5 over ranks).
    /// </summary>
    public static (ClassificationResult Result, double Loss) Evaluate(Func<Tensor, Tensor> classify, ClassificationLoader loader,
        int numClasses, CancellationToken cancellation = default, IProcessGroup? group = null)
    {
        var metrics = new ClassificationMetrics(numClasses);
        double lossSum = 0;
        long count = 0;
        using var noGrad = no_grad();
        foreach (ClassificationBatch batch in loader.Epoch())
        {
            using var scope = NewDisposeScope();
            using (batch)
            {
                if (cancellation.IsCancellationRequested) break;
                if (batch.Labels.shape[0] == 0) continue;   // every image of the batch was unreadable
                var logits = classify(batch.Images);   // (B, classes)
                lossSum += nn.functional.cross_entropy(logits, batch.Labels, reduction: nn.Reduction.Sum).item<float>();
                count += batch.Labels.shape[0];
                metrics.Update(logits, batch.Labels);
            }
        }
        if (group is { WorldSize: > 1 })
        {
            long[] counts = metrics.Counts();
            double[] loss = [lossSum, count];
            group.AllReduce<long>(counts, ReduceOp.Sum);
            group.AllReduce<double>(loss, ReduceOp.Sum);
            metrics.SetCounts(counts);
            (lossSum, count) = (loss[0], (long)loss[1]);
        }
        return (metrics.Result(), count == 0 ? double.NaN : lossSum / count);
    }

    /// <summary>
    /// `simmim eval`: builds the fine-tune model of <paramref name="config"/>, loads <paramref name="checkpointPath"/>
    /// strictly, evaluates DATA.DATA_PATH's validation split and writes <see cref="ReportFileName"/> to the output directory.
    /// </summary>
    /// <exception cref="CheckpointException">Missing checkpoint or one that does not fit the model.</exception>
    /// <exception cref="DataException">Missing or unreadable data.</exception>
    /// <exception cref="OutputException">The output folder cannot be created or written.</exception>
    public static EvalReport Run(SimMimConfig config, string checkpointPath, CancellationToken cancellation = default) =>
        Run(config, checkpointPath, holdout: 0, cancellation);

    /// <summary><see cref="Run(SimMimConfig, string, CancellationToken)"/> on a held-out share of the training set
    /// (<see cref="DatasetFactory.OpenSplits(string, double)"/>) when <paramref name="holdout"/> &gt; 0.</summary>
    public static EvalReport Run(SimMimConfig config, string checkpointPath, double holdout, CancellationToken cancellation = default)
    {
        ConfigValidator.ValidateRun(config, ConfigStage.Finetune, training: false);
        OptionRanges.Holdout.Require("--holdout", holdout);
        UserPaths.RequireFile(checkpointPath, "checkpoint to evaluate", InputKind.Checkpoint);
        // Before the data and the model: the report's folder takes files. (No run lock: eval.json is replaced
        // atomically, so evaluating a checkpoint while its fine-tuning goes on in the same folder is safe.)
        string outputDir = ResolvedRun.Resolve(config).OutputDir;
        UserPaths.EnsureWritableDirectory(outputDir, "the run folder");
        var data = config.Data;
        var (_, valSet) = DatasetFactory.OpenSplits(data.DataPath, holdout);
        CheckClasses(valSet, config.Model.NumClasses);
        using var encoder = ModelFactory.BuildEncoder(config.Model, data.ImgSize, forSimMim: false);
        TrainingCheckpoint.LoadWeights(checkpointPath, encoder);
        using var loader = ClassificationLoader.ForEvaluation(valSet, data.ImgSize, config.Test.Crop, data.BatchSize,
            Math.Max(1, data.NumWorkers));
        var (result, loss) = Evaluate(encoder, loader, config.Model.NumClasses, cancellation);
        var report = new EvalReport(checkpointPath, data.DataPath, valSet.ClassNames, loss, result);
        WriteJson(Path.Combine(outputDir, ReportFileName), report);
        return report;
    }

    public static void WriteJson(string path, EvalReport report) =>
        UserPaths.ReplaceAtomically(path, "the evaluation report", stream => JsonSerializer.Serialize(stream, report, s_json));

    /// <exception cref="ConfigException">The data has more classes than MODEL.NUM_CLASSES.</exception>
    internal static void CheckClasses(IImageDataset dataset, int numClasses)
    {
        if (dataset.NumClasses > numClasses)
            throw new ConfigException(
                $"the data set has {dataset.NumClasses} classes but MODEL.NUM_CLASSES is {numClasses}");
    }
}
