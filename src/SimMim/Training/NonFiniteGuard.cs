namespace SimMim.Training;

/// <summary>
/// Counts the optimizer steps <see cref="TrainStep"/> skipped for a NaN or infinite loss or gradient, and stops the
/// run after TRAIN.MAX_NONFINITE_STEPS of them in a row: one bad batch is survivable, a run that keeps producing them
/// has diverged. Checkpoints are written only after good steps, so the newest one on disk is the one to go back to.
/// </summary>
internal sealed class NonFiniteGuard(int maxInARow)
{
    /// <summary>Skipped steps since the last good one.</summary>
    public int InARow { get; private set; }

    /// <summary>Skipped steps over the whole run (this process).</summary>
    public long Total { get; private set; }

    /// <summary>Records what a loader iteration did.</summary>
    /// <returns>A warning line when the step was skipped, else null.</returns>
    /// <exception cref="SimMimUserException">The limit is reached; the message names the last good checkpoint.</exception>
    public string? Observe(StepOutcome outcome, int epoch, int step, double loss, double gradNorm, string? lastGoodCheckpoint)
    {
        if (outcome == StepOutcome.Stepped) InARow = 0;
        if (outcome != StepOutcome.SkippedNonFinite) return null;
        InARow++;
        Total++;
        string what = $"loss {loss}, gradient norm {gradNorm}";
        if (InARow >= maxInARow)
        {
            throw new SimMimUserException(
                $"{InARow} optimizer steps in a row had a NaN or infinite loss or gradient (the last at epoch {epoch} step {step}: " +
                $"{what}; TRAIN.MAX_NONFINITE_STEPS is {maxInARow}); stopping. The last good checkpoint is {lastGoodCheckpoint ?? "(none)"}");
        }
        return $"skipped the step at epoch {epoch} step {step}: {what} ({InARow} in a row, {Total} in all)";
    }
}
