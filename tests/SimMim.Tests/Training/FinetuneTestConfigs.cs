using SimMim.Config;
using SimMim.Models.Vit;

namespace SimMim.Tests.Training;

/// <summary>Tiny fine-tune configs on the built-in procedural shapes (10 classes) for fast loop tests.</summary>
internal static class FinetuneTestConfigs
{
    public static string TempDir() => Directory.CreateTempSubdirectory("simmim-ft-loop").FullName;

    /// <summary>ViT: 32 px, patch 8 (4×4 tokens), dim 32, depth 2; light recipe, no augmentation beyond crop/flip.</summary>
    public static SimMimConfig Vit(string output, int epochs = 2) => new()
    {
        Data = new DataConfig { DataPath = "builtin", ImgSize = 32, BatchSize = 32, NumWorkers = 2 },
        Model = new ModelConfig
        {
            Type = "vit",
            Name = "ft_test",
            NumClasses = 10,
            DropPathRate = 0.1,
            LabelSmoothing = 0.1,
            Vit = new VitConfig
            {
                PatchSize = 8,
                EmbedDim = 32,
                Depth = 2,
                NumHeads = 2,
                UseRpb = true,
                UseSharedRpb = false,
                UseMeanPooling = true,
            },
        },
        Train = new TrainConfig
        {
            Epochs = epochs,
            WarmupEpochs = 0,
            BaseLr = 2e-2,
            WarmupLr = 1e-6,
            MinLr = 1e-5,
            LayerDecay = 0.75,
            AutoResume = true,
        },
        Aug = new AugConfig { AutoAugment = "none", ColorJitter = 0, Reprob = 0, Mixup = 0, Cutmix = 0 },
        Output = output,
        Tag = "t",
        SaveFreq = 1,
        Seed = 0,
    };
}
