using System.Text;
using SimMim.IO;

namespace SimMim.Training;

/// <summary>
/// A training run's output folder (OUTPUT/MODEL.NAME/TAG) as this process holds it: created and checked writable
/// before any work, locked against a second run (<see cref="RunLock"/>), its log open. On data-parallel ranks other
/// than 0 it writes nothing (rank 0 writes for all).
/// </summary>
internal sealed class RunDirectory : IDisposable
{
    public const string LogFileName = "log.txt";
    public const string MetricsFileName = "metrics.csv";
    public const string ConfigFileName = "config.yaml";

    private readonly RunLock? _lock;

    private readonly RunLog _log;
    private MetricsFile? _metrics;

    private RunDirectory(string folder, RunLock? runLock, RunLog log, IEnumerable<ITrainingObserver> observers)
    {
        Folder = folder;
        _lock = runLock;
        _log = log;
        Reporter = new RunReporter(log, observers);
    }

    public string Folder { get; }

    /// <summary>The run's reporting channel: log.txt, metrics.csv once started, and the observers.</summary>
    public RunReporter Reporter { get; }

    private bool Writes => _lock is not null;

    /// <summary>Creates the folder, checks it takes files, locks it and opens its log; says when it took over a stale lock.</summary>
    /// <exception cref="OutputException">The folder cannot be created or written, or another run holds it.</exception>
    public static RunDirectory Open(string folder, IEnumerable<ITrainingObserver> observers)
    {
        UserPaths.EnsureWritableDirectory(folder, "the run folder");
        var runLock = RunLock.Acquire(folder);
        try
        {
            var directory = new RunDirectory(folder, runLock, new RunLog(Path.Combine(folder, LogFileName)), observers);
            if (runLock.StaleHolder is { } holder)
                directory.Reporter.Message($"took over the run folder from a run that ended without releasing it ({holder})");
            return directory;
        }
        catch
        {
            runLock.Dispose();
            throw;
        }
    }

    /// <summary>The folder as the ranks other than 0 of a data-parallel run see it: nothing is created or written.</summary>
    public static RunDirectory Discard(string folder) => new(folder, null, RunLog.Discard(), []);

    /// <summary>
    /// Starts metrics.csv, continued after <paramref name="resumedStep"/> (see <see cref="MetricsFile.Open"/>): from now
    /// on the reporter writes each step's row.
    /// </summary>
    public void StartMetrics(long resumedStep)
    {
        _metrics = Writes ? MetricsFile.Open(Path.Combine(Folder, MetricsFileName), resumedStep) : MetricsFile.Discard();
        Reporter.AttachMetrics(_metrics);
    }

    /// <summary>
    /// Writes config.yaml, atomically. Call it once the run's checks (resume point, checkpoint fit) have passed: a run
    /// that fails them leaves the copy of the run that made the folder's checkpoints in place.
    /// </summary>
    /// <exception cref="OutputException">The file cannot be written.</exception>
    public void WriteConfig(string yaml)
    {
        if (Writes)
            UserPaths.ReplaceAtomically(Path.Combine(Folder, ConfigFileName), "the run's config copy", stream => stream.Write(Encoding.UTF8.GetBytes(yaml)));
    }

    public void Dispose()
    {
        _metrics?.Dispose();
        _log.Dispose();
        _lock?.Dispose();
    }
}
