using SimMim.Benchmarking;
using SimMim.Config;
using static TorchSharp.torch;

namespace SimMim.Models;

/// <summary>
/// Everything that depends on which encoder MODEL.TYPE names, in one place per family: its config section and size
/// checks, building the encoder, analytic FLOPs and memory, layer ids for layer decay, linear-probe features and the
/// rules for loading pretrained weights. <see cref="EncoderRegistry"/> holds one per MODEL.TYPE; code elsewhere asks
/// the registry instead of testing the type name or the encoder class.
/// </summary>
public abstract class EncoderFamily
{
    /// <param name="type">The MODEL.TYPE value; the family's section is MODEL.&lt;TYPE&gt;.</param>
    protected EncoderFamily(string type)
    {
        Type = type;
        SectionKey = $"MODEL.{type.ToUpperInvariant()}";
    }

    /// <summary>The MODEL.TYPE value (vit, swin).</summary>
    public string Type { get; }

    /// <summary>The family's config section, MODEL.&lt;TYPE&gt; (a <see cref="ModelConfig"/> property of that name).</summary>
    public string SectionKey { get; }

    /// <summary>The key of the model patch size, e.g. MODEL.VIT.PATCH_SIZE.</summary>
    public string PatchKey => SectionKey + ".PATCH_SIZE";

    /// <summary>The range of every numeric key of the section (PATCH_SIZE …), for <see cref="ConfigRanges"/>.</summary>
    public abstract IReadOnlyDictionary<string, ValueRange> Ranges { get; }

    public abstract int PatchSize(ModelConfig model);

    /// <summary>The DATA.IMG_SIZE ÷ patch size problem, or null when the image is whole patches.</summary>
    public string? PatchProblem(ModelConfig model, int imgSize) => PatchProblem(imgSize, PatchSize(model));

    /// <summary>Cross-key problems of the section alone (e.g. Swin's DEPTHS and NUM_HEADS lengths).</summary>
    public virtual IReadOnlyList<string> KeyProblems(ModelConfig model) => [];

    /// <summary>Every impossible size of the model at <paramref name="imgSize"/>, naming its key; empty when it builds.</summary>
    public abstract IReadOnlyList<string> Problems(ModelConfig model, int imgSize);

    /// <summary>The encoder at DATA.IMG_SIZE: with a mask token for SimMIM, else with a MODEL.NUM_CLASSES head.</summary>
    public abstract MaskedImageEncoder Build(ModelConfig model, int imgSize, bool forSimMim);

    /// <summary>Analytic FLOPs of the SimMIM pretraining model (see <see cref="ModelFlops"/>).</summary>
    public abstract FlopCount Flops(ModelConfig model, int imgSize);

    /// <summary>What <see cref="MemoryEstimate"/> counts for the encoder.</summary>
    public abstract EncoderMemory Memory(ModelConfig model, int imgSize);

    /// <summary>True when <paramref name="encoder"/> is this family's.</summary>
    public abstract bool Owns(MaskedImageEncoder encoder);

    /// <summary>The number of layers L and the layer id (0…L+1) of each parameter name, for layer decay.</summary>
    public abstract (int NumLayers, Func<string, int> LayerId) LayerIds(MaskedImageEncoder encoder);

    /// <summary>The blocks a linear probe may read after, or null when it reads the final features.</summary>
    public virtual int? ProbeDepth(MaskedImageEncoder encoder) => null;

    /// <summary>Frozen features (B, C) for a linear probe, after <paramref name="block"/> blocks where that applies.</summary>
    public virtual Tensor ProbeFeatures(MaskedImageEncoder encoder, Tensor images, int block) => encoder.ForwardFeatures(images);

    /// <summary>The key of a relative position table shared by all blocks, if the family has one.</summary>
    public virtual string? SharedRelPosTable => null;

    /// <summary>True for a per-block relative position table that <see cref="SharedRelPosTable"/> can initialise.</summary>
    public virtual bool IsBlockRelPosTable(string key) => false;

    /// <summary>Rows after the (2w−1)² grid of a relative position table, kept as they are when it is resized.</summary>
    public virtual int TableExtraTokens => 0;

    /// <summary>
    /// The check every family starts with, and the only place it is made: a positive patch size that divides
    /// DATA.IMG_SIZE. Null when both hold.
    /// </summary>
    protected string? PatchProblem(int imgSize, int patch) =>
        patch < 1 ? $"{PatchKey}: {patch} must be positive"
        : imgSize < 1 || imgSize % patch != 0 ? $"DATA.IMG_SIZE ({imgSize}) must be a multiple of {PatchKey} ({patch})"
        : null;

    /// <summary>The messages of the checks that fail, in order.</summary>
    protected static List<string> Failing(params ReadOnlySpan<(bool Ok, string Message)> checks)
    {
        var problems = new List<string>();
        foreach (var (ok, message) in checks)
        {
            if (!ok)
            {
                problems.Add(message);
            }
        }
        return problems;
    }

    /// <summary>
    /// Throws a <see cref="ConfigException"/> with the first of <paramref name="problems"/>, or when a SimMIM encoder
    /// (<paramref name="forSimMim"/>) would get a classification head.
    /// </summary>
    protected static void ThrowFirst(IReadOnlyList<string> problems, bool forSimMim, int numClasses)
    {
        if (problems is [string first, ..])
        {
            throw new ConfigException(first);
        }
        if (forSimMim && numClasses != 0)
        {
            throw new ConfigException($"MODEL.NUM_CLASSES: {numClasses} must be 0 for SimMIM pretraining (no head)");
        }
    }
}
