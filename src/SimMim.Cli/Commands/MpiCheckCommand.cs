using System.ComponentModel;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.Distributed;
using SimMim.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`mpirun -np N simmim mpi-check`: checks the collectives across the processes and times the gradient all-reduce.</summary>
public sealed class MpiCheckCommand(IAnsiConsole console) : Command<MpiCheckCommand.Settings>
{
    public sealed class Settings : ConfigSettings
    {
        [CommandOption("--iterations <N>")]
        [Description("Gradient all-reduces to time. Default: 20")]
        public int Iterations { get; init; } = 20;

        public override ValidationResult Validate()
        {
            var result = FlagChecks.First(OptionRanges.MpiIterations.Check("--iterations", Iterations));
            return result.Successful ? base.Validate() : result;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = settings.LoadConfig();
        // The model and its gradients, no batch.
        ConfigValidator.ValidateRun(config, ConfigStage.Pretrain, training: false, batch: 0);
        return DistributedLaunch.Run(settings, console, (group, console) =>
        {
            TorchSharp.torch.random.manual_seed(config.Seed);
            using var model = ModelFactory.BuildSimMim(config.Model, config.Data.ImgSize);
            var r = CollectiveCheck.Run(group, model, settings.Iterations);
            console.WriteLine($"processes: {r.Processes} ({group.LocalSize} on this machine), {r.Description}");
            console.WriteLine("all-reduce, broadcast, weight spread: correct");
            console.WriteLine($"model: {config.Model.Type} {config.Model.Name}, {r.Parameters:N0} parameters");
            console.WriteLine($"gradients: {r.GradientBytes / 1048576.0:F2} MB in {r.Buckets} bucket(s)");
            console.WriteLine($"gradient all-reduce: {r.MeanMilliseconds:F2} ms mean, {r.MinMilliseconds:F2} ms best of {r.Iterations}, " +
                              $"{r.GradientBytes / 1e6 / (r.MeanMilliseconds / 1e3):F0} MB/s");
            console.WriteLine($"  inside MPI: {r.MpiMilliseconds:F2} ms mean, {r.GradientBytes / 1e6 / (r.MpiMilliseconds / 1e3):F0} MB/s");
            console.WriteLine($"per-step loss all-reduce: {r.SmallAllReduceMicroseconds:F1} µs");
            return 0;
        });
    }
}
