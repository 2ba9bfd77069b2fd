namespace SimMim.Benchmarking;

/// <summary>Mean wall-clock milliseconds of the measured training steps, by phase, and the losses they produced.</summary>
/// <param name="ForwardMs">Model forward including the masked L1 loss and reading it.</param>
/// <param name="BackwardMs">loss.backward().</param>
/// <param name="OptimizerMs">Gradient clipping, AdamW step and zeroing the gradients.</param>
/// <param name="Losses">Loss of every step, warm-up included.</param>
public sealed record StepTimings(double ForwardMs, double BackwardMs, double OptimizerMs, IReadOnlyList<double> Losses)
{
    public double StepMs => ForwardMs + BackwardMs + OptimizerMs;
}
