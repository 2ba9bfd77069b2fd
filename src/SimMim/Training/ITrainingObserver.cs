namespace SimMim.Training;

/// <summary>What a training run reports as it goes. The CLI draws it; tests record it. Calls come from the training thread.</summary>
public interface ITrainingObserver
{
    void RunStarted(RunStartInfo info);
    void StepFinished(StepReport report);
    void EpochFinished(EpochReport report);
    void Message(string line);

    /// <summary>Something the user should act on that did not stop the run (a skipped file, step or checkpoint);
    /// the CLI writes it to standard error. An observer without its own channel shows it as a message.</summary>
    void Warning(string line) => Message(line);
}

public sealed record RunStartInfo(string OutputDirectory, long ParameterCount, int StartEpoch, int Epochs,
    int StepsPerEpoch, int ImagesInDataSet, string? ResumedFrom, int Threads);

public sealed record StepReport(int Epoch, int StepInEpoch, int StepsPerEpoch, long GlobalStep, double Loss, double Lr,
    double GradNorm, double ImagesPerSecond, TimeSpan EpochEta);

/// <summary>
/// The end of an epoch. Classification runs add, for a validated epoch, the validation Top1 / Top5 (percent) and mean
/// cross-entropy (ValLoss) after the epoch and the run's best top-1 so far (MaxAccuracy); pretraining adds the
/// reconstruction grid.
/// </summary>
public sealed record EpochReport(int Epoch, double MeanLoss, TimeSpan Duration, double ImagesPerSecond, long RssBytes,
    string? CheckpointPath, string? ReconstructionPath, double? Top1 = null, double? Top5 = null, double? MaxAccuracy = null,
    double? ValLoss = null);

/// <summary>An observer that ignores everything.</summary>
public sealed class NullTrainingObserver : ITrainingObserver
{
    public static readonly NullTrainingObserver Instance = new();
    public void RunStarted(RunStartInfo info) { }
    public void StepFinished(StepReport report) { }
    public void EpochFinished(EpochReport report) { }
    public void Message(string line) { }
    public void Warning(string line) { }
}
