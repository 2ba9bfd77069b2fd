using SimMim.Config;
using SimMim.Data;
using TorchSharp;

namespace SimMim.Training;

/// <summary>The data of a run as it is opened: what was left out, what validates, the labelled subset trained on.</summary>
internal static class RunData
{
    /// <summary>What the data sets left out while listing their files (an image folder's non-images, loops, empty classes).</summary>
    public static void ReportWarnings(RunReporter reporter, params IImageDataset[] datasets)
    {
        // A subset (label fraction, --holdout) reports its folder's warnings; two subsets of one folder report them once.
        var folders = datasets.Select(d => d is SubsetDataset subset ? subset.Parent : d).OfType<ImageFolderDataset>().Distinct();
        foreach (string line in folders.SelectMany(folder => folder.Warnings))
            reporter.Warning($"data: {line}");
    }

    /// <summary>Says, when it is so, that validation uses held-out training images rather than the validation split.</summary>
    public static void ReportHoldout(IImageDataset valSet, double holdout, RunReporter reporter)
    {
        if (holdout <= 0) return;
        reporter.Message($"validation: {valSet.Count} held-out training images (--holdout {holdout}), not the validation split");
    }

    /// <summary>
    /// The start of every labelled run (fine-tune, linear probe): seed torch, check the labels against
    /// MODEL.NUM_CLASSES and keep the requested class-stratified fraction of the training labels.
    /// </summary>
    public static IImageDataset PrepareTrainSet(SimMimConfig config, IImageDataset trainSet, double labelFraction)
    {
        torch.random.manual_seed(config.Seed);
        Evaluator.CheckClasses(trainSet, config.Model.NumClasses);
        return labelFraction < 1 ? SubsetDataset.Stratified(trainSet, labelFraction, config.Seed) : trainSet;
    }
}
