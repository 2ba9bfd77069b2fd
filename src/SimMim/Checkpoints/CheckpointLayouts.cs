using static TorchSharp.torch;

namespace SimMim.Checkpoints;

/// <summary>Recognises <see cref="CheckpointLayout"/>s and <see cref="CheckpointFamily"/>s from key names.</summary>
public static class CheckpointLayouts
{
    public static CheckpointLayout Detect(IEnumerable<string> keys)
    {
        var list = keys as IReadOnlyCollection<string> ?? [.. keys];
        if (list.Any(k => k.StartsWith("swin.", StringComparison.Ordinal))) return CheckpointLayout.HuggingFaceSwin;
        if (list.Any(k => k.StartsWith("beit.", StringComparison.Ordinal))) return CheckpointLayout.HuggingFaceBeit;
        if (list.Any(k => k.StartsWith("encoder.patch_embed.", StringComparison.Ordinal))) return CheckpointLayout.ReferencePretrain;
        if (list.Any(k => k.StartsWith("patch_embed.", StringComparison.Ordinal))
            && list.Any(k => k.StartsWith("blocks.", StringComparison.Ordinal) || k.StartsWith("layers.", StringComparison.Ordinal)))
            return CheckpointLayout.ReferenceFinetune;
        return CheckpointLayout.Unknown;
    }

    public static CheckpointLayout Detect(IReadOnlyDictionary<string, Tensor> state) => Detect(state.Keys);

    public static CheckpointFamily Family(IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            if (key.StartsWith("swin.", StringComparison.Ordinal) || key.StartsWith("layers.", StringComparison.Ordinal)
                || key.StartsWith("encoder.layers.", StringComparison.Ordinal))
                return CheckpointFamily.Swin;
            if (key.StartsWith("beit.", StringComparison.Ordinal) || key.StartsWith("blocks.", StringComparison.Ordinal)
                || key.StartsWith("encoder.blocks.", StringComparison.Ordinal))
                return CheckpointFamily.Vit;
        }
        return CheckpointFamily.Unknown;
    }

    /// <summary>A short human name, as the CLI prints it.</summary>
    public static string Describe(CheckpointLayout layout) => layout switch
    {
        CheckpointLayout.ReferencePretrain => "reference (SimMIM pretrain: encoder.*, decoder.0.*)",
        CheckpointLayout.ReferenceFinetune => "reference (fine-tuned: no prefix, head.*)",
        CheckpointLayout.HuggingFaceSwin => "Hugging Face Swin (swin.*)",
        CheckpointLayout.HuggingFaceBeit => "Hugging Face BEiT (beit.*)",
        _ => "unknown",
    };
}
