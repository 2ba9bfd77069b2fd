using System.ComponentModel;
using SimMim.Cli.Rendering;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`simmim linprobe`: a linear classifier on frozen encoder features.</summary>
public sealed class LinprobeCommand(IAnsiConsole console, ErrorConsole errors) : Command<LinprobeCommand.Settings>
{
    public sealed class Settings : RunSettings
    {
        [CommandOption("--block <N>")]
        [Description("ViT: probe the tokens after block N (default 8, clamped to the depth). Swin: the final stage.")]
        public int? Block { get; init; }

        [CommandOption("--augment")]
        [Description("Train on random crops + flips (features recomputed each epoch). Default: features computed once.")]
        public bool Augment { get; init; }

        public override ValidationResult Validate()
        {
            var result = FlagChecks.First(Block is int block ? OptionRanges.ProbeBlock.Check("--block", block) : null);
            return result.Successful ? base.Validate() : result;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = settings.LoadRunConfig();
        DistributedLaunch.RefuseParallel("linprobe");
        settings.ApplyThreads();
        using var signals = new StopSignals(console);
        var observer = new ConsoleTrainingObserver(console, errors);
        var probe = new LinearProbe(config,
            new LinearProbeOptions(settings.Pretrained, settings.Block, settings.Augment, settings.LabelFraction, Holdout: settings.Holdout), observer);
        var result = observer.Run(() => probe.Run(signals.Token));
        console.MarkupLineInterpolated($"linear probe top-1: [bold green]{result.MaxAccuracy:F2} %[/] (best epoch)");
        console.MarkupLineInterpolated($"classifier: [green]{result.Checkpoint}[/]");
        // An interrupted probe has checkpointed where it stopped (and resumes there) and keeps the classifier trained so far.
        return signals.Token.IsCancellationRequested ? signals.ExitCode : 0;
    }
}
