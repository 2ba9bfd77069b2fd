using System.Text.Json;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Data;
using SimMim.Finetune;
using SimMim.Models;
using SimMim.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Training;

public class FineTunerTests
{
    private sealed class Recorder : ITrainingObserver
    {
        public List<string> Messages { get; } = [];
        public List<EpochReport> Epochs { get; } = [];
        public void RunStarted(RunStartInfo info) { }
        public void StepFinished(StepReport report) { }
        public void EpochFinished(EpochReport report) => Epochs.Add(report);
        public void Message(string line) => Messages.Add(line);
    }

    [Fact]
    public void ATinyVitLearnsASeparableToySetWellAboveChance()
    {
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir(), epochs: 3);
        var recorder = new Recorder();
        var result = new FineTuner(config, new FinetuneOptions(LabelFraction: 0.5), recorder)
            .Run(new ColourDataset(1024, seed: 1), new ColourDataset(256, seed: 2));

        Assert.Equal(3, result.Evaluations.Count);
        Assert.Equal(4 * 52 + 6 * 51, result.TrainImages);   // round(0.5 · 103) for 4 classes, round(0.5 · 102) for 6
        Assert.True(result.MaxAccuracy > 50, $"top-1 {result.MaxAccuracy:F1} % (chance 10 %)");
        Assert.Equal(result.Evaluations.Max(e => e.Top1), result.MaxAccuracy);
        Assert.Equal(3, recorder.Epochs.Count);
        Assert.All(recorder.Epochs, e => Assert.NotNull(e.Top1));
        Assert.True(File.Exists(result.LastCheckpoint));
        Assert.EndsWith("ckpt_epoch_2.pth", result.LastCheckpoint);
    }

    [Fact]
    public void APretrainingCheckpointStartsTheRunAndTheLoadIsReported()
    {
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir(), epochs: 1);
        // The pretraining model: same architecture but a shared relative position bias and no mean pooling.
        var pretrainModel = config.Model with { Vit = config.Model.Vit with { UseRpb = false, UseSharedRpb = true, UseMeanPooling = false } };
        string ckpt = Path.Combine(FinetuneTestConfigs.TempDir(), "ckpt_epoch_9.pth");
        using (var simmim = ModelFactory.BuildSimMim(pretrainModel, config.Data.ImgSize))
        using (var optimizer = optim.AdamW(simmim.parameters()))
            TrainingCheckpoint.Save(ckpt, simmim, optimizer, new TrainingState(9, 100, 99, ""));

        var recorder = new Recorder();
        var result = new FineTuner(config, new FinetuneOptions(PretrainedPath: ckpt, LabelFraction: 0.1, MaxStepsPerEpoch: 2), recorder).Run();

        Assert.NotNull(result.Pretrained);
        Assert.Contains("head.weight", result.Pretrained!.Missing);
        Assert.Contains("fc_norm.weight", result.Pretrained.Missing);
        Assert.Contains("mask_token", result.Pretrained.Unexpected);
        Assert.Contains("blocks.1.attn.relative_position_bias_table", result.Pretrained.Loaded);
        Assert.StartsWith($"pretrained {ckpt}: loaded {result.Pretrained.Loaded.Count} tensors", recorder.Messages[0]);
        Assert.Contains(recorder.Messages, m => m.Contains("missing (left as initialised)") && m.Contains("head.weight"));
        Assert.Contains($"pretrained {ckpt}", File.ReadAllText(Path.Combine(result.OutputDirectory, "log.txt")));
    }

    [Fact]
    public void AMissingPretrainedFileAndBadAugmentationSettingsAreUserErrors()
    {
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir());
        var e = Assert.Throws<CheckpointException>(() => new FineTuner(config, new FinetuneOptions(PretrainedPath: "/nonexistent/p.pth")));
        Assert.Contains("/nonexistent/p.pth", e.Message);
        var c = Assert.Throws<ConfigException>(() => new FineTuner(config with { Aug = config.Aug with { AutoAugment = "rand-m9-q1" } }));
        Assert.Contains("AUG.AUTO_AUGMENT", c.Message);
        var j = Assert.Throws<ConfigException>(() => new FineTuner(config with { Aug = config.Aug with { ColorJitter = -0.4 } }));
        Assert.Contains("AUG.COLOR_JITTER", j.Message);
    }

    [Fact]
    public void TheReferenceAugmentationRecipeTrains()
    {
        // The config.py defaults: RandAugment rand-m9-mstd0.5-inc1 (colour jitter 0.4 then unused) and random erasing.
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir(), epochs: 1);
        config = config with { Aug = config.Aug with { AutoAugment = "rand-m9-mstd0.5-inc1", ColorJitter = 0.4, Reprob = 0.25 } };
        var result = new FineTuner(config, new FinetuneOptions(LabelFraction: 0.1, MaxStepsPerEpoch: 2)).Run();
        Assert.Single(result.EpochLosses);
        Assert.True(double.IsFinite(result.EpochLosses[0]));
    }

    [Fact]
    public void ARunResumesFromItsLastCheckpointAndKeepsMaxAccuracy()
    {
        string output = FinetuneTestConfigs.TempDir();
        var first = new FineTuner(FinetuneTestConfigs.Vit(output, epochs: 1), new FinetuneOptions(LabelFraction: 0.1, MaxStepsPerEpoch: 2)).Run();
        var second = new FineTuner(FinetuneTestConfigs.Vit(output, epochs: 2), new FinetuneOptions(LabelFraction: 0.1, MaxStepsPerEpoch: 2)).Run();
        Assert.Single(second.Evaluations);   // only epoch 1 ran
        Assert.EndsWith("ckpt_epoch_1.pth", second.LastCheckpoint);
        Assert.True(second.MaxAccuracy >= first.MaxAccuracy);
    }

    [Fact]
    public void EvalFrequencyValidatesEveryNthEpochAndTheLast()
    {
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir(), epochs: 3);
        var result = new FineTuner(config, new FinetuneOptions(LabelFraction: 0.1, MaxStepsPerEpoch: 1, EvalFrequency: 2)).Run();
        Assert.Equal(3, result.EpochLosses.Count);
        Assert.Equal(2, result.Evaluations.Count);   // epoch 1 (the 2nd) and epoch 2 (the last)
        string log = File.ReadAllText(Path.Combine(result.OutputDirectory, "log.txt"));
        Assert.Contains("epoch 0 done", log);
        Assert.Contains("not validated", log);
        Assert.Throws<ConfigException>(() => new FineTuner(config, new FinetuneOptions(EvalFrequency: 0)));
    }

    [Fact]
    public void MixupAndCutmixRunWithSoftTargets()
    {
        var config = FinetuneTestConfigs.Vit(FinetuneTestConfigs.TempDir(), epochs: 1);
        config = config with { Aug = config.Aug with { Mixup = 0.8, Cutmix = 1.0, Reprob = 0.25 } };
        var result = new FineTuner(config, new FinetuneOptions(LabelFraction: 0.1, MaxStepsPerEpoch: 3)).Run();
        Assert.True(double.IsFinite(result.EpochLosses[0]));
        Assert.Contains("soft-target CE", File.ReadAllText(Path.Combine(result.OutputDirectory, "log.txt")));
    }

    [Fact]
    public void EvalJsonHoldsTheNumbersOfAHandMadeCase()
    {
        // 6 images of 3 classes (labels 0 0 1 1 2 2); the classifier predicts 0 0 1 2 2 0: top-1 4/6,
        // per class 100 / 50 / 50 %, top-5 (= top-3 of 3 classes) 100 %.
        var data = new SubsetDataset(new ProceduralDataset(30, 16), [0, 3, 1, 4, 2, 5]);   // procedural labels = index % 10
        var labels = Enumerable.Range(0, data.Count).Select(data.Label).ToArray();
        Assert.Equal([0, 3, 1, 4, 2, 5], labels);   // sanity: labels are the parent's
        var relabelled = new LabelMap(data, [0, 0, 1, 1, 2, 2]);
        int[] predicted = [0, 0, 1, 2, 2, 0];
        using var loader = ClassificationLoader.ForEvaluation(relabelled, 16, crop: true, batchSize: 4, workers: 1);
        int seen = 0;
        Tensor Classify(Tensor images)
        {
            int b = (int)images.shape[0];
            var logits = zeros(b, 3);
            for (int i = 0; i < b; i++) logits[i, predicted[seen + i]] = tensor(5f);
            seen += b;
            return logits;
        }
        var (result, loss) = Evaluator.Evaluate(Classify, loader, 3);
        string path = Path.Combine(FinetuneTestConfigs.TempDir(), Evaluator.ReportFileName);
        Evaluator.WriteJson(path, new EvalReport("c.pth", "builtin", relabelled.ClassNames, loss, result));

        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var r = json.RootElement.GetProperty("result");
        Assert.Equal(6, r.GetProperty("count").GetInt64());
        Assert.Equal(400.0 / 6, r.GetProperty("top1").GetDouble(), 9);
        Assert.Equal(100.0, r.GetProperty("top5").GetDouble(), 9);
        Assert.Equal([100.0, 50.0, 50.0], r.GetProperty("per_class_accuracy").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal("[[2,0,0],[0,1,1],[1,0,1]]", r.GetProperty("confusion_matrix").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        // CE of logits (5, 0, 0): right → log(1 + 2e^-5), wrong → 5 + log(1 + 2e^-5).
        double right = Math.Log(1 + 2 * Math.Exp(-5));
        Assert.Equal((4 * right + 2 * (5 + right)) / 6, json.RootElement.GetProperty("loss").GetDouble(), 4);
    }

    private sealed class LabelMap(IImageDataset parent, int[] labels) : IImageDataset
    {
        public int Count => parent.Count;
        public int NumClasses => 3;
        public IReadOnlyList<string> ClassNames => ["a", "b", "c"];
        public int Label(int index) => labels[index];
        public RgbImage Load(int index) => parent.Load(index);
        public string Describe(int index) => parent.Describe(index);
    }
}
