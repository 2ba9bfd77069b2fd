namespace SimMim.Training;

/// <summary>
/// The one channel a training run reports through: every event goes to the run log (log.txt), per-step rows to
/// metrics.csv once it is open, and everything to any number of <see cref="ITrainingObserver"/>s (the CLI's console,
/// a test's recorder, a TensorBoard writer). Code that used to write a line to the log and the same line to the
/// observer calls one method here. On data-parallel ranks other than 0 the log and metrics discard and there are no
/// observers.
/// </summary>
internal sealed class RunReporter
{
    private readonly RunLog _log;
    private readonly List<ITrainingObserver> _observers;
    private MetricsFile? _metrics;

    public RunReporter(RunLog log, params IEnumerable<ITrainingObserver> observers)
    {
        _log = log;
        _observers = observers.ToList();
    }

    public void Add(ITrainingObserver observer) => _observers.Add(observer);

    /// <summary>From now on each step's numbers go to <paramref name="metrics"/> too.</summary>
    public void AttachMetrics(MetricsFile metrics) => _metrics = metrics;

    /// <summary>A line for the log alone (detail the console does not show).</summary>
    public void Log(string line) => _log.Write(line);

    /// <summary>A line for the log and the observers.</summary>
    public void Message(string line)
    {
        _log.Write(line);
        foreach (var observer in _observers) observer.Message(line);
    }

    /// <summary>Something the user should act on that did not stop the run; null is nothing to say.</summary>
    public void Warning(string? line)
    {
        if (line is null) return;
        _log.Write(line);
        foreach (var observer in _observers) observer.Warning(line);
    }

    public void RunStarted(RunStartInfo info)
    {
        foreach (var observer in _observers) observer.RunStarted(info);
    }

    /// <summary>A finished step: to the observers and, as a row with the process's <paramref name="rssBytes"/>, to metrics.csv.</summary>
    public void StepFinished(StepReport report, long rssBytes)
    {
        foreach (var observer in _observers) observer.StepFinished(report);
        _metrics?.Step(report.Epoch, report.StepInEpoch, report.GlobalStep, report.Loss, report.Lr, report.GradNorm,
            report.ImagesPerSecond, rssBytes);
    }

    /// <summary>A finished epoch: <paramref name="logLine"/> to the log, the report to the observers.</summary>
    public void EpochFinished(EpochReport report, string logLine)
    {
        _log.Write(logLine);
        foreach (var observer in _observers) observer.EpochFinished(report);
    }
}
