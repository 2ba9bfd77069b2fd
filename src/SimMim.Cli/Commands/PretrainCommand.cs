using System.ComponentModel;
using SimMim.Cli.Rendering;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`simmim pretrain`: the reference's main_simmim.py.</summary>
public sealed class PretrainCommand(IAnsiConsole console, ErrorConsole errors) : Command<PretrainCommand.Settings>
{
    public sealed class Settings : OutputSettings
    {
        [CommandOption("--resume <CKPT>")]
        [Description("Checkpoint to resume from (overrides MODEL.RESUME). Default: the newest in the output directory.")]
        public string? Resume { get; init; }

        [CommandOption("--accumulation-steps <N>")]
        [Description("Gradient accumulation steps (overrides TRAIN.ACCUMULATION_STEPS)")]
        public int? AccumulationSteps { get; init; }

        [CommandOption("--steps-per-epoch <N>")]
        [Description("Cut every epoch to at most N steps (quick trials)")]
        public int? StepsPerEpoch { get; init; }

        [CommandOption(PrecisionOption.Template)]
        [Description(PrecisionOption.Description)]
        public string? Precision { get; init; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful) return result;
            result = FlagChecks.First(
                AccumulationSteps is int accumulation ? ConfigRanges.Of("TRAIN.ACCUMULATION_STEPS").Check("--accumulation-steps", accumulation) : null,
                StepsPerEpoch is int steps ? OptionRanges.StepsPerEpoch.Check("--steps-per-epoch", steps) : null);
            return result.Successful ? PrecisionOption.Validate(Precision) : result;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = settings.LoadRunConfig();
        if (settings.AccumulationSteps is int steps) config = config with { Train = config.Train with { AccumulationSteps = steps } };
        return DistributedLaunch.Run(settings, console, (group, console) =>
        {
            using var signals = new StopSignals(console);
            var observer = new ConsoleTrainingObserver(console, errors);
            var trainer = new Pretrainer(config, new PretrainOptions(settings.Resume, settings.StepsPerEpoch,
                Precision: PrecisionOption.Parse(settings.Precision)), observer, group);
            var result = observer.Run(() => trainer.Run(signals.Token));

            if (result.Interrupted)
            {
                signals.Report(console, result.LastCheckpoint, result.SaveFailure);
                return signals.ExitCode;
            }
            console.MarkupLineInterpolated($"checkpoint: [green]{result.LastCheckpoint ?? "(none)"}[/]");
            console.MarkupLineInterpolated($"reconstructions: [green]{result.LastReconstruction ?? "(none)"}[/]");
            console.MarkupLineInterpolated($"log: {Path.Combine(result.OutputDirectory, "log.txt")}");
            return 0;
        });
    }
}
