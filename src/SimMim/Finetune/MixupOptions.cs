namespace SimMim.Finetune;

/// <summary>
/// timm <c>Mixup</c> settings in 'batch' mode; defaults are the reference's fine-tune values (AUG.*, spec §5).
/// </summary>
public sealed record MixupOptions
{
    /// <summary>Beta(α, α) for mixup; 0 disables mixup (AUG.MIXUP).</summary>
    public double MixupAlpha { get; init; } = 0.8;
    /// <summary>Beta(α, α) for cutmix; 0 disables cutmix (AUG.CUTMIX).</summary>
    public double CutmixAlpha { get; init; } = 1.0;
    /// <summary>Box side as a fraction range of the image side instead of √(1−λ) (AUG.CUTMIX_MINMAX); null = off.</summary>
    public (double Min, double Max)? CutmixMinMax { get; init; }
    /// <summary>Probability that a batch is mixed at all (AUG.MIXUP_PROB).</summary>
    public double Prob { get; init; } = 1.0;
    /// <summary>Probability of cutmix instead of mixup when both are on (AUG.MIXUP_SWITCH_PROB).</summary>
    public double SwitchProb { get; init; } = 0.5;
    /// <summary>Recompute λ from the clipped box area (timm's correct_lam).</summary>
    public bool CorrectLam { get; init; } = true;
    /// <summary>MODEL.LABEL_SMOOTHING.</summary>
    public double LabelSmoothing { get; init; } = 0.1;
    public int NumClasses { get; init; } = 1000;

    /// <summary>True when mixing can happen (timm builds no Mixup otherwise and uses label-smoothing CE).</summary>
    public bool Enabled => (MixupAlpha > 0 || CutmixAlpha > 0 || CutmixMinMax is not null) && Prob > 0;
}
