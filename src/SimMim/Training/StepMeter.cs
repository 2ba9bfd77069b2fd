using System.Diagnostics;

namespace SimMim.Training;

/// <summary>
/// Per-step bookkeeping shared by the training loops: smoothed throughput and ETA, the observer's step report, the
/// metrics CSV row (both through the reporter) and a log line every PRINT_FREQ steps.
/// </summary>
internal sealed class StepMeter(RunReporter reporter, int batchSize, int stepsPerEpoch, int printFreq)
{
    private readonly Stopwatch _clock = new();

    /// <summary>Exponentially smoothed images per second of the current epoch.</summary>
    public double ImagesPerSecond { get; private set; }

    public void StartEpoch()
    {
        ImagesPerSecond = 0;
        _clock.Restart();
    }

    /// <summary>Records finished step <paramref name="step"/> (1-based within the epoch).</summary>
    public void Step(int epoch, int step, long globalStep, double loss, StepResult result)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        _clock.Restart();
        double instant = batchSize / Math.Max(seconds, 1e-9);
        ImagesPerSecond = ImagesPerSecond == 0 ? instant : 0.9 * ImagesPerSecond + 0.1 * instant;
        var eta = TimeSpan.FromSeconds((stepsPerEpoch - step) * batchSize / Math.Max(ImagesPerSecond, 1e-9));
        long rss = ProcessMemory.ResidentBytes();
        reporter.StepFinished(new StepReport(epoch, step, stepsPerEpoch, globalStep, loss, result.Lr, result.GradNorm,
            ImagesPerSecond, eta), rss);
        if (step % Math.Max(1, printFreq) == 0 || step == stepsPerEpoch)
            reporter.Log($"epoch {epoch} [{step}/{stepsPerEpoch}] loss {loss:F4} lr {result.Lr:G4} grad_norm {result.GradNorm:F4} " +
                      $"{ImagesPerSecond:F1} img/s rss {rss / 1048576} MiB");
    }
}
