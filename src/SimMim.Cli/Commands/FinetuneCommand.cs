using System.ComponentModel;
using SimMim.Cli.Rendering;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`simmim finetune`: the reference's main_finetune.py (from scratch without --pretrained).</summary>
public sealed class FinetuneCommand(IAnsiConsole console, ErrorConsole errors) : Command<FinetuneCommand.Settings>
{
    public sealed class Settings : RunSettings
    {
        [CommandOption("--resume <CKPT>")]
        [Description("Fine-tuning checkpoint to resume (overrides MODEL.RESUME). Default: the newest in the output directory.")]
        public string? Resume { get; init; }

        [CommandOption("--steps-per-epoch <N>")]
        [Description("Cut every epoch to at most N steps (quick trials)")]
        public int? StepsPerEpoch { get; init; }

        [CommandOption("--eval-freq <N>")]
        [Description("Validate every N epochs and after the last. Default: 1")]
        public int EvalFrequency { get; init; } = 1;

        [CommandOption(PrecisionOption.Template)]
        [Description(PrecisionOption.Description)]
        public string? Precision { get; init; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful) return result;
            result = FlagChecks.First(OptionRanges.EvalFrequency.Check("--eval-freq", EvalFrequency),
                StepsPerEpoch is int steps ? OptionRanges.StepsPerEpoch.Check("--steps-per-epoch", steps) : null);
            return result.Successful ? PrecisionOption.Validate(Precision) : result;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = settings.LoadRunConfig();
        return DistributedLaunch.Run(settings, console, (group, console) =>
        {
            using var signals = new StopSignals(console);
            var observer = new ConsoleTrainingObserver(console, errors);
            var trainer = new FineTuner(config,
                new FinetuneOptions(settings.Pretrained, settings.Resume, settings.LabelFraction, settings.StepsPerEpoch,
                    settings.EvalFrequency, PrecisionOption.Parse(settings.Precision), settings.Holdout), observer, group);
            var result = observer.Run(() => trainer.Run(signals.Token));
            if (result.Interrupted)
            {
                signals.Report(console, result.LastCheckpoint, result.SaveFailure);
                return signals.ExitCode;
            }
            console.MarkupLineInterpolated($"max top-1: [bold green]{result.MaxAccuracy:F2} %[/]");
            console.MarkupLineInterpolated($"checkpoint: [green]{result.LastCheckpoint ?? "(none)"}[/]");
            console.MarkupLineInterpolated($"log: {Path.Combine(result.OutputDirectory, "log.txt")}");
            return 0;
        });
    }
}
