using SimMim.Training;
using Spectre.Console;

namespace SimMim.Cli.Rendering;

/// <summary>
/// Draws training progress: a Spectre progress bar per epoch (loss, lr, grad norm, images/s, ETA) on a terminal,
/// plain lines (about ten per epoch) when output is redirected. Warnings go to standard error.
/// </summary>
public sealed class ConsoleTrainingObserver(IAnsiConsole console, ErrorConsole errors) : ITrainingObserver
{
    private ProgressContext? _progress;
    private ProgressTask? _epochTask;
    private int _epochs;

    public T Run<T>(Func<T> work)
    {
        if (!console.Profile.Capabilities.Interactive)
            return work();
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _progress = context;
                return work();
            });
    }

    public void RunStarted(RunStartInfo info)
    {
        _epochs = info.Epochs;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("output", Markup.Escape(info.OutputDirectory));
        table.AddRow("parameters", $"{info.ParameterCount:N0}");
        table.AddRow("images", $"{info.ImagesInDataSet:N0} ({info.StepsPerEpoch} steps per epoch)");
        table.AddRow("epochs", $"{info.StartEpoch} → {info.Epochs - 1}");
        table.AddRow("threads", $"{info.Threads}");
        if (info.ResumedFrom is not null) table.AddRow("resumed from", Markup.Escape(info.ResumedFrom));
        console.Write(table);
    }

    public void StepFinished(StepReport r)
    {
        string text = $"epoch {r.Epoch + 1}/{_epochs}  loss {r.Loss:F4}  lr {r.Lr:G3}  grad {r.GradNorm:F2}  {r.ImagesPerSecond:F0} img/s";
        if (_progress is not null)
        {
            _epochTask ??= _progress.AddTask(text, maxValue: r.StepsPerEpoch);
            _epochTask.Description = Markup.Escape(text);
            _epochTask.Value = r.StepInEpoch;
        }
        else if (r.StepInEpoch % Math.Max(1, r.StepsPerEpoch / 10) == 0 || r.StepInEpoch == r.StepsPerEpoch)
        {
            console.WriteLine($"[{r.StepInEpoch}/{r.StepsPerEpoch}] {text}  eta {r.EpochEta:mm\\:ss}");
        }
    }

    public void EpochFinished(EpochReport r)
    {
        if (_epochTask is not null)
        {
            _epochTask.Value = _epochTask.MaxValue;
            _epochTask.StopTask();
            _epochTask = null;
        }
        console.MarkupLineInterpolated(
            $"epoch {r.Epoch + 1}: mean loss [bold]{r.MeanLoss:F4}[/], {r.Duration.TotalSeconds:F1} s, {r.ImagesPerSecond:F0} img/s, RSS {r.RssBytes / 1048576} MiB");
        if (r.Top1 is double top1)
            console.MarkupLineInterpolated($"  val top-1 [bold green]{top1:F2} %[/], top-5 {r.Top5:F2} %, max top-1 {r.MaxAccuracy:F2} %");
    }

    public void Message(string line) => console.WriteLine(line);

    public void Warning(string line) => errors.Warning(line);
}
