using System.Collections;
using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Models;
using SimMim.Training;
using TorchSharp.Modules;
using ParamGroup = SimMim.Training.ParamGroup;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

/// <summary>
/// Checkpoints shaped as the reference's main_simmim.py / main_finetune.py write them (pickled yacs CfgNode, timm
/// scheduler dict, AdamW state with the reference's groups; zip and legacy, pickle protocols 1, 2 and 4), made by
/// tools/parity/make_reference_checkpoints.py: read, restored for resuming, and loaded as pretrained weights.
/// </summary>
public class ReferenceCheckpointTests
{
    public static TheoryData<string> AllFiles => ReferenceCheckpoints.FileNames();

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void EveryEncodingReadsWithTheConfigAsAnOpaqueCfgNode(string file)
    {
        var c = ReferenceCheckpoints.Case(ReferenceCheckpoints.File(file).Case);
        var loaded = Assert.IsType<PickleDict>(TorchFile.Load(ReferenceCheckpoints.PathOf(file)));
        try
        {
            Assert.Equal(["model", "optimizer", "lr_scheduler", "max_accuracy", "epoch", "config", "amp"], loaded.Keys.Cast<string>());
            Assert.Equal((long)c.Epoch, loaded["epoch"]);
            Assert.Equal(c.MaxAccuracy, loaded["max_accuracy"]);

            // The config: an object of a class we never build, its contents kept readable.
            var config = Assert.IsType<PickledObject>(loaded["config"]);
            Assert.Equal("yacs.config.CfgNode", config.ClassName);
            Assert.Equal([""], Assert.IsType<List<object?>>(config.Entries["BASE"]));   // a one-item list of a memoised string
            var flags = Assert.IsType<PickleDict>(config.State);                       // BUILD of CfgNode.__dict__
            Assert.Equal(true, flags["__immutable__"]);
            Assert.Empty(Assert.IsType<HashSet<object?>>(flags["__deprecated_keys__"]));
            Assert.Equal(false, flags["__new_allowed__"]);
            var model = Assert.IsType<PickledObject>(config.Entries["MODEL"]);
            Assert.Equal("yacs.config.CfgNode", model.ClassName);
            Assert.Equal(c.Type, model.Entries["TYPE"]);
            var train = Assert.IsType<PickledObject>(config.Entries["TRAIN"]);
            var optimizer = Assert.IsType<PickledObject>(train.Entries["OPTIMIZER"]);
            Assert.Equal(new object?[] { 0.9, 0.999 }, optimizer.Entries["BETAS"]);
            Assert.Empty(Assert.IsType<List<object?>>(Assert.IsType<PickledObject>(train.Entries["LR_SCHEDULER"]).Entries["MULTISTEPS"]));
            Assert.Null(Assert.IsType<PickledObject>(config.Entries["AUG"]).Entries["CUTMIX_MINMAX"]);
            Assert.Equal(5e-2, train.Entries["WEIGHT_DECAY"]);

            // timm's scheduler __dict__ and apex's state are plain values.
            var scheduler = Assert.IsType<PickleDict>(loaded["lr_scheduler"]);
            Assert.Equal("lr", scheduler["param_group_field"]);
            Assert.Equal(c.Groups, Assert.IsType<List<object?>>(scheduler["base_values"]).Count);
            Assert.Null(scheduler["noise_range_t"]);
            Assert.Equal(65536.0, ((IDictionary)((IDictionary)loaded["amp"]!)["loss_scaler0"]!)["loss_scale"]);

            // The weights, bit for bit as PyTorch saved them (read here by PyBridge, not by our reader).
            var weights = TorchFile.StateDict(loaded, file);
            Assert.Equal(c.Keys, weights.Keys);
            var expected = ReferenceCheckpoints.Expected(c.Name);
            foreach (var (key, tensor) in weights)
                Assert.True(Same(tensor, expected["model." + key]), key);
            TorchFile.DisposeTensors(expected);
        }
        finally
        {
            TorchFile.DisposeTensors(loaded);
        }
    }

    [Theory]
    [MemberData(nameof(AllFiles))]
    public void ApplyRestoresTheWeightsTheAdamWStateAndTheEpoch(string file)
    {
        var c = ReferenceCheckpoints.Case(ReferenceCheckpoints.File(file).Case);
        string path = ReferenceCheckpoints.PathOf(file);
        var (model, optimizer, groups) = BuildForResume(c, seed: 99);
        using var _ = model;
        using var __ = optimizer;

        var state = TrainingCheckpoint.Apply(TrainingCheckpoint.Read(path), path, model, optimizer);

        Assert.Equal(c.Epoch, state.Epoch);
        Assert.Equal(c.MaxAccuracy, state.MaxAccuracy);
        Assert.True(state.EpochOnly);
        // The reference's scheduler was last updated after the epoch's last step: k = (epoch + 1)·n − 1.
        var resumed = state.AtEndOfEpoch(stepsPerEpoch: 3);
        Assert.Equal((c.Epoch + 1) * 3L, resumed.GlobalStep);
        Assert.Equal((c.Epoch + 1) * 3L - 1, resumed.LastScheduleUpdate);
        Assert.False(resumed.EpochOnly);

        var expected = ReferenceCheckpoints.Expected(c.Name);
        foreach (var (key, tensor) in model.state_dict())
            Assert.True(Same(tensor, expected["model." + key]), key);
        var names = groups.SelectMany(g => g.ParameterNames).ToList();
        Assert.Equal(c.Parameters, names);   // our groups hold the reference's parameters in its order
        var moments = optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        Assert.Equal(names.Count, moments.Count);
        for (int i = 0; i < names.Count; i++)
        {
            Assert.True(Same(moments[i].exp_avg, expected["exp_avg." + names[i]]), names[i]);
            Assert.True(Same(moments[i].exp_avg_sq, expected["exp_avg_sq." + names[i]]), names[i]);
            Assert.Equal(ReferenceCheckpoints.StepsTaken, (int)moments[i].step);
        }
        TorchFile.DisposeTensors(expected);
    }

    [Fact]
    public void AReferenceOptimizerStateOfOtherGroupsIsACheckpointErrorNotAWrongLoad()
    {
        var c = ReferenceCheckpoints.Case("finetune_vit");
        string path = ReferenceCheckpoints.PathOf("finetune_vit.pth");
        var config = ReferenceCheckpoints.Config(c);
        using var encoder = ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false);
        // Two groups (no layer decay) instead of the file's eight.
        using var optimizer = OptimizerFactory.CreateOptimizer(ParamGroups.ForPretraining(encoder.named_parameters(), encoder.NoWeightDecay,
            encoder.NoWeightDecayKeywords, 1e-3, 0.05), config.Train, 1e-3);

        var e = Assert.Throws<CheckpointException>(() => TrainingCheckpoint.Apply(TrainingCheckpoint.Read(path), path, encoder, optimizer));
        Assert.StartsWith($"{path}: the optimizer state does not fit this run (8 parameter groups, this run has 2", e.Message);
    }

    [Theory]
    [InlineData("epoch", "four")]
    [InlineData("epoch", 1e300)]
    [InlineData("global_step", -5L)]
    public void AMalformedPositionEntryIsACheckpointError(string key, object value)
    {
        var c = ReferenceCheckpoints.Case("pretrain_vit");
        string path = ReferenceCheckpoints.PathOf("pretrain_vit.pth");
        var (model, optimizer, _) = BuildForResume(c, seed: 1);
        using var _m = model;
        using var _o = optimizer;
        var checkpoint = TrainingCheckpoint.Read(path);
        checkpoint[key] = value;
        var e = Assert.Throws<CheckpointException>(() => TrainingCheckpoint.Apply(checkpoint, path, model, optimizer));
        Assert.StartsWith($"{path}: '{key}' is not an integer", e.Message);
    }

    [Theory]
    [InlineData("pretrain_vit_p1.pth", "vit")]
    [InlineData("pretrain_swin_legacy.pth", "swin")]
    public void APretrainingCheckpointOfTheReferenceInitialisesTheFinetuneEncoder(string file, string type)
    {
        var c = ReferenceCheckpoints.Case(ReferenceCheckpoints.File(file).Case);
        Assert.Equal(type, c.Type);
        var config = ReferenceCheckpoints.Config(c, "MODEL.NUM_CLASSES", "10");
        using var encoder = ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false);

        var result = PretrainedLoader.LoadPretrained(ReferenceCheckpoints.PathOf(file), encoder);

        Assert.Contains("head.weight", result.Missing);
        Assert.Empty(result.Interpolated);
        var expected = ReferenceCheckpoints.Expected(c.Name);
        var weights = encoder.state_dict();
        foreach (string key in result.Loaded)
            Assert.True(Same(weights[key], expected["model.encoder." + key]), key);
        Assert.Contains("patch_embed.proj.weight", result.Loaded);
        TorchFile.DisposeTensors(expected);
    }

    [Fact]
    public void TheFinetuneViTTakesTheSharedTableOfTheReferencePretrainingIntoEveryBlock()
    {
        var c = ReferenceCheckpoints.Case("finetune_vit");
        var config = ReferenceCheckpoints.Config(c);
        using var encoder = ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false);
        var result = PretrainedLoader.LoadPretrained(ReferenceCheckpoints.PathOf("pretrain_vit.pth"), encoder);

        var expected = ReferenceCheckpoints.Expected("pretrain_vit");
        var shared = expected["model.encoder.rel_pos_bias.relative_position_bias_table"];
        var weights = encoder.state_dict();
        for (int block = 0; block < 2; block++)
        {
            string key = $"blocks.{block}.attn.relative_position_bias_table";
            Assert.Contains(key, result.Loaded);
            Assert.True(Same(weights[key], shared), key);
        }
        Assert.Contains("mask_token", result.Unexpected);
        Assert.Contains("fc_norm.weight", result.Missing);
        TorchFile.DisposeTensors(expected);
    }

    [Fact]
    public void FinetuningResumedFromTheReferenceStartsAfterItsEpochOnTheScheduleOfThatStep()
    {
        var c = ReferenceCheckpoints.Case("finetune_vit");
        string path = ReferenceCheckpoints.PathOf("finetune_vit_p4.pth");
        const int steps = 2;
        var config = ReferenceCheckpoints.Config(c, "DATA.BATCH_SIZE", "16", "TRAIN.EPOCHS", $"{c.Epoch + 2}",
            "OUTPUT", TempOutput(), "TRAIN.AUTO_RESUME", "False");
        var recorder = new SimMim.Tests.Training.RunRecorder();

        var result = new FineTuner(config, new FinetuneOptions(ResumePath: path, LabelFraction: 0.02, MaxStepsPerEpoch: steps), recorder).Run();

        Assert.Equal(c.Epoch + 1, recorder.Start!.StartEpoch);
        Assert.Equal(path, recorder.Start.ResumedFrom);
        Assert.Equal([c.Epoch + 1], recorder.Epochs.Select(e => e.Epoch));
        Assert.Equal((c.Epoch + 1L) * steps + 1, recorder.Losses.Keys.First());   // step reports count from 1
        Assert.True(result.MaxAccuracy >= c.MaxAccuracy);
        // The first step's lr is the schedule's at the reference's last update, k = (epoch + 1)·n − 1, for group 0.
        var run = ResolvedRun.Resolve(config);
        var schedule = OptimizerFactory.CreateSchedule(config.Train, run, steps);
        var (model, optimizer, groups) = BuildForResume(c, config, seed: 0);
        optimizer.Dispose();
        model.Dispose();
        Assert.Equal(schedule.ForOptimizerStep((c.Epoch + 1L) * steps - 1, groups[0].BaseLr), recorder.Lrs.Values.First(), 12);
    }

    [Fact]
    public void PretrainingResumedFromTheReferenceStartsAfterItsEpochOnTheScheduleOfThatStep()
    {
        var c = ReferenceCheckpoints.Case("pretrain_swin");
        string path = ReferenceCheckpoints.PathOf("pretrain_swin_legacy.pth");
        const int steps = 2;
        var config = ReferenceCheckpoints.Config(c, "DATA.BATCH_SIZE", "8", "TRAIN.EPOCHS", $"{c.Epoch + 2}",
            "OUTPUT", TempOutput(), "TRAIN.AUTO_RESUME", "False");
        var recorder = new SimMim.Tests.Training.RunRecorder();

        var result = new Pretrainer(config, new PretrainOptions(ResumePath: path, MaxStepsPerEpoch: steps, GridImages: 2), recorder).Run();

        Assert.Equal(c.Epoch + 1, recorder.Start!.StartEpoch);
        Assert.Equal([c.Epoch + 1], recorder.Epochs.Select(e => e.Epoch));
        Assert.Equal((c.Epoch + 1L) * steps + 1, recorder.Losses.Keys.First());
        var run = ResolvedRun.Resolve(config);
        var schedule = OptimizerFactory.CreateSchedule(config.Train, run, steps);
        Assert.Equal(schedule.ForOptimizerStep((c.Epoch + 1L) * steps - 1, run.BaseLr), recorder.Lrs.Values.First(), 12);
        Assert.Contains("the file records only its epoch", File.ReadAllText(Path.Combine(result.OutputDirectory, "log.txt")));
    }

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static string TempOutput() => Directory.CreateTempSubdirectory("simmim-ref-resume").FullName;

    /// <summary>The model and optimizer the reference's run of <paramref name="c"/> had, as our trainers build them.</summary>
    private static (nn.Module Model, OptimizerHelper Optimizer, IReadOnlyList<ParamGroup> Groups) BuildForResume(ReferenceCase c, int seed) =>
        BuildForResume(c, ReferenceCheckpoints.Config(c), seed);

    private static (nn.Module Model, OptimizerHelper Optimizer, IReadOnlyList<ParamGroup> Groups) BuildForResume(ReferenceCase c,
        SimMimConfig config, int seed)
    {
        random.manual_seed(seed);
        var train = config.Train;
        var run = ResolvedRun.Resolve(config);
        if (c.Stage == "pretrain")
        {
            var model = ModelFactory.BuildSimMim(config.Model, config.Data.ImgSize);
            var groups = ParamGroups.ForPretraining(model.named_parameters(), model.NoWeightDecay, model.NoWeightDecayKeywords,
                run.BaseLr, train.WeightDecay);
            return (model, OptimizerFactory.CreateOptimizer(groups, train, run.BaseLr), groups);
        }
        var encoder = ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false);
        var (numLayers, layerId) = LayerDecay.For(encoder);
        var finetuneGroups = LayerDecay.ForFinetuning(encoder.named_parameters(), encoder.NoWeightDecay, encoder.NoWeightDecayKeywords,
            run.BaseLr, train.WeightDecay, train.LayerDecay, numLayers, layerId);
        return (encoder, OptimizerFactory.CreateOptimizer(finetuneGroups, train, run.BaseLr), finetuneGroups);
    }
}
