namespace SimMim.Training;

/// <summary>What one loader iteration did to the model (see <see cref="TrainStep.Run"/>).</summary>
public enum StepOutcome
{
    /// <summary>Gradients were added to an accumulation window that is still open.</summary>
    Accumulating,

    /// <summary>The window closed and the optimizer stepped.</summary>
    Stepped,

    /// <summary>The window closed with a NaN or infinite loss or gradient norm: gradients dropped, weights untouched.</summary>
    SkippedNonFinite,
}
