using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>Records a run's per-step losses and lrs (by global step), epochs and messages; can act after a chosen step.</summary>
internal sealed class RunRecorder(Action<StepReport>? afterStep = null) : ITrainingObserver
{
    public SortedDictionary<long, double> Losses { get; } = [];

    public SortedDictionary<long, double> Lrs { get; } = [];

    public List<EpochReport> Epochs { get; } = [];

    public List<string> Messages { get; } = [];

    public RunStartInfo? Start { get; private set; }

    public void RunStarted(RunStartInfo info) => Start = info;

    public void StepFinished(StepReport report)
    {
        Losses[report.GlobalStep] = report.Loss;
        Lrs[report.GlobalStep] = report.Lr;
        afterStep?.Invoke(report);
    }

    public void EpochFinished(EpochReport report) => Epochs.Add(report);

    public void Message(string line) => Messages.Add(line);
}
