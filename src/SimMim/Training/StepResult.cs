namespace SimMim.Training;

/// <summary>What one <see cref="TrainStep.Run"/> did, with the numbers a step reports.</summary>
/// <param name="Outcome">Accumulated, stepped, or skipped for a non-finite loss or gradient.</param>
/// <param name="GradNorm">Gradient norm before clipping at the last window close (this one's when it closed).</param>
/// <param name="Lr">The lr of the first group at the last optimizer step.</param>
/// <param name="ScheduleUpdate">The loader iteration at which the lr was last set from the schedule (-1 before any):
/// what a checkpoint records so that a resumed run continues the schedule.</param>
public sealed record StepResult(StepOutcome Outcome, double GradNorm, double Lr, long ScheduleUpdate)
{
    public bool Stepped => Outcome == StepOutcome.Stepped;
}
