using System.Diagnostics;

namespace SimMim.Training;

/// <summary>
/// Per-step bookkeeping shared by the training loops: smoothed throughput and ETA, the observer's step report, the
/// metrics CSV row and a log line every PRINT_FREQ steps.
/// </summary>
internal sealed class StepMeter(ITrainingObserver observer, MetricsFile metrics, RunLog log, int batchSize, int stepsPerEpoch, int printFreq)
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
    public void Step(int epoch, int step, long globalStep, double loss, double lr, double gradNorm)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        _clock.Restart();
        double instant = batchSize / Math.Max(seconds, 1e-9);
        ImagesPerSecond = ImagesPerSecond == 0 ? instant : 0.9 * ImagesPerSecond + 0.1 * instant;
        var eta = TimeSpan.FromSeconds((stepsPerEpoch - step) * batchSize / Math.Max(ImagesPerSecond, 1e-9));
        long rss = ProcessMemory.ResidentBytes();
        observer.StepFinished(new StepReport(epoch, step, stepsPerEpoch, globalStep, loss, lr, gradNorm, ImagesPerSecond, eta));
        metrics.Step(epoch, step, globalStep, loss, lr, gradNorm, ImagesPerSecond, rss);
        if (step % Math.Max(1, printFreq) == 0 || step == stepsPerEpoch)
            log.Write($"epoch {epoch} [{step}/{stepsPerEpoch}] loss {loss:F4} lr {lr:G4} grad_norm {gradNorm:F4} " +
                      $"{ImagesPerSecond:F1} img/s rss {rss / 1048576} MiB");
    }
}
