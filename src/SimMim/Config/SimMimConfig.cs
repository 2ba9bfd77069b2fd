using SimMim.Models.Swin;
using SimMim.Models.Vit;

namespace SimMim.Config;

// The run configuration, mirroring the reference's yacs tree (config.py) one to one: DATA.IMG_SIZE is
// Data.ImgSize, MODEL.SWIN.EMBED_DIM is Model.Swin.EmbedDim, and so on. Defaults are the reference's.
// Records are immutable: the loader builds new ones, nothing changes a loaded config.

/// <summary>The whole configuration (the root of the yacs tree).</summary>
public sealed record SimMimConfig
{
    /// <summary>
    /// Base config files merged before this one (reference key BASE; _BASE_ is accepted too). The loader merges them
    /// and leaves this at [''] in the result, so a written config is self-contained.
    /// </summary>
    public IReadOnlyList<string> Base { get; init; } = [""];
    public DataConfig Data { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public TrainConfig Train { get; init; } = new();
    public AugConfig Aug { get; init; } = new();
    public TestConfig Test { get; init; } = new();
    /// <summary>'' or O0 = fp32; O1/O2 = mixed precision where the backend supports it.</summary>
    public string AmpOptLevel { get; init; } = "";
    public string Output { get; init; } = "";
    public string Tag { get; init; } = "default";
    public int SaveFreq { get; init; } = 1;
    /// <summary>Ours: also checkpoint every this many loader iterations inside an epoch (0 = only at epoch ends).</summary>
    public int SaveSteps { get; init; }
    /// <summary>Ours: keep only the newest this many checkpoints of the run (0 = keep all, as the reference does).</summary>
    public int SaveKeep { get; init; }
    public int PrintFreq { get; init; } = 10;
    public int Seed { get; init; }
    public bool EvalMode { get; init; }
    public bool ThroughputMode { get; init; }
    public int LocalRank { get; init; }
    public string Pretrained { get; init; } = "";
}

public sealed record DataConfig
{
    /// <summary>Per-process batch size.</summary>
    public int BatchSize { get; init; } = 128;
    public string DataPath { get; init; } = "";
    public string Dataset { get; init; } = "imagenet";
    public int ImgSize { get; init; } = 224;
    public string Interpolation { get; init; } = "bicubic";
    public bool PinMemory { get; init; } = true;
    public int NumWorkers { get; init; } = 8;
    public int MaskPatchSize { get; init; } = 32;
    public double MaskRatio { get; init; } = 0.6;
    /// <summary>
    /// Ours: the largest fraction of the data set's images that may be unreadable (each skipped with a warning)
    /// before the run fails; 0 fails on the first. A data set with no readable image always fails.
    /// </summary>
    public double MaxBadFraction { get; init; } = 1.0;
}

public sealed record ModelConfig
{
    /// <summary>An <see cref="Models.EncoderRegistry"/> family: swin or vit.</summary>
    public string Type { get; init; } = "swin";
    public string Name { get; init; } = "swin_tiny_patch4_window7_224";
    public string Resume { get; init; } = "";
    public int NumClasses { get; init; } = 1000;
    public double DropRate { get; init; }
    public double DropPathRate { get; init; } = 0.1;
    public double LabelSmoothing { get; init; } = 0.1;
    public SwinConfig Swin { get; init; } = new();
    public VitConfig Vit { get; init; } = new();
}

public sealed record TrainConfig
{
    public int StartEpoch { get; init; }
    public int Epochs { get; init; } = 300;
    public int WarmupEpochs { get; init; } = 20;
    public double WeightDecay { get; init; } = 0.05;
    public double BaseLr { get; init; } = 5e-4;
    public double WarmupLr { get; init; } = 5e-7;
    public double MinLr { get; init; } = 5e-6;
    /// <summary>Max gradient norm; 0 disables clipping (a negative one is refused: torch would flip the gradients).</summary>
    public double ClipGrad { get; init; } = 5.0;
    public bool AutoResume { get; init; } = true;
    /// <summary>0 or 1 = no accumulation.</summary>
    public int AccumulationSteps { get; init; }
    public bool UseCheckpoint { get; init; }
    public LrSchedulerConfig LrScheduler { get; init; } = new();
    public OptimizerConfig Optimizer { get; init; } = new();
    public double LayerDecay { get; init; } = 1.0;
    /// <summary>Ours: stop after this many optimizer steps in a row skipped for a NaN or infinite loss or gradient.</summary>
    public int MaxNonfiniteSteps { get; init; } = 5;
}

public sealed record LrSchedulerConfig
{
    /// <summary>cosine, multistep, step or linear.</summary>
    public string Name { get; init; } = "cosine";
    public int DecayEpochs { get; init; } = 30;
    public double DecayRate { get; init; } = 0.1;
    public double Gamma { get; init; } = 0.1;
    public IReadOnlyList<int> Multisteps { get; init; } = [];
}

public sealed record OptimizerConfig
{
    public string Name { get; init; } = "adamw";
    public double Eps { get; init; } = 1e-8;
    public IReadOnlyList<double> Betas { get; init; } = [0.9, 0.999];
    public double Momentum { get; init; } = 0.9;
}

public sealed record AugConfig
{
    public double ColorJitter { get; init; } = 0.4;
    public string AutoAugment { get; init; } = "rand-m9-mstd0.5-inc1";
    /// <summary>
    /// RandomResizedCrop's area range (timm's <c>scale</c> argument; not a reference key — the reference always uses
    /// timm's default 0.08–1, which crops most of a small object away on 28-px images).
    /// </summary>
    public IReadOnlyList<double> Scale { get; init; } = [0.08, 1.0];
    public double Reprob { get; init; } = 0.25;
    public string Remode { get; init; } = "pixel";
    public int Recount { get; init; } = 1;
    public double Mixup { get; init; } = 0.8;
    public double Cutmix { get; init; } = 1.0;
    public IReadOnlyList<double>? CutmixMinmax { get; init; }
    public double MixupProb { get; init; } = 1.0;
    public double MixupSwitchProb { get; init; } = 0.5;
    public string MixupMode { get; init; } = "batch";
}

public sealed record TestConfig
{
    public bool Crop { get; init; } = true;
}
