namespace SimMim.Checkpoints;

/// <summary>How a state dict names its keys (spec §6.2 for the reference, §8 for Hugging Face).</summary>
public enum CheckpointLayout
{
    /// <summary>None of the layouts below.</summary>
    Unknown,

    /// <summary>microsoft/SimMIM pretraining: <c>encoder.*</c> and the prediction head <c>decoder.0.*</c>.</summary>
    ReferencePretrain,

    /// <summary>microsoft/SimMIM fine-tuning: encoder keys without prefix plus <c>head.*</c>.</summary>
    ReferenceFinetune,

    /// <summary>transformers SwinForMaskedImageModeling / SwinForImageClassification: <c>swin.*</c>.</summary>
    HuggingFaceSwin,

    /// <summary>transformers BEiT (the home of SimMIM's ViT, spec §8): <c>beit.*</c>.</summary>
    HuggingFaceBeit,
}
