using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Models.Swin;
using static TorchSharp.torch;

namespace SimMim.Tests.Training;

/// <summary>A tiny pretraining run on the built-in shapes: Swin at 32 px, 2 stages, dim 16; a few steps a second.</summary>
internal static class PretrainTestConfigs
{
    public static string TempDir() => Directory.CreateTempSubdirectory("simmim-pt-loop").FullName;

    /// <param name="output">OUTPUT; the run directory is OUTPUT/resume_test/t (<see cref="RunDir"/>).</param>
    /// <param name="saveSteps">SAVE_STEPS.</param>
    /// <param name="accumulation">TRAIN.ACCUMULATION_STEPS.</param>
    public static SimMimConfig Swin(string output, int saveSteps = 0, int accumulation = 1, int epochs = 3) => new()
    {
        Data = new DataConfig { DataPath = "builtin", ImgSize = 32, MaskPatchSize = 8, BatchSize = 8, NumWorkers = 1 },
        Model = new ModelConfig
        {
            Type = "swin",
            Name = "resume_test",
            DropPathRate = 0.2,   // drop path on, so the torch generator's use is part of what must resume exactly
            Swin = new SwinConfig { PatchSize = 4, EmbedDim = 16, Depths = [2, 2], NumHeads = [2, 4], WindowSize = 4 },
        },
        Train = new TrainConfig
        {
            Epochs = epochs,
            WarmupEpochs = 1,
            BaseLr = 8e-3,
            WarmupLr = 8e-6,
            MinLr = 8e-5,
            AccumulationSteps = accumulation,
            AutoResume = true,
        },
        Output = output,
        Tag = "t",
        SaveFreq = 1,
        SaveSteps = saveSteps,
        Seed = 3,
    };

    public static string RunDir(SimMimConfig config) => Path.Combine(config.Output, config.Model.Name, config.Tag);

    /// <summary>The largest absolute difference between the model weights of two checkpoints (their key sets must match).</summary>
    public static double MaxWeightDifference(string a, string b)
    {
        object? left = TorchFile.Load(a), right = TorchFile.Load(b);
        try
        {
            var l = TorchFile.StateDict(left, a);
            var r = TorchFile.StateDict(right, b);
            Assert.Equal(l.Keys.Order(), r.Keys.Order());
            return l.Keys.Max(k => (l[k].to_type(ScalarType.Float64) - r[k].to_type(ScalarType.Float64)).abs().max().item<double>());
        }
        finally
        {
            TorchFile.DisposeTensors(left);
            TorchFile.DisposeTensors(right);
        }
    }
}
