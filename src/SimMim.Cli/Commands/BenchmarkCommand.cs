using System.ComponentModel;
using SimMim.Benchmarking;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.Hardware;
using SimMim.Models.Layers;
using SimMim.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`simmim benchmark`: the reference's --throughput for pretraining; a table, then one JSON line.</summary>
public sealed class BenchmarkCommand(IAnsiConsole console) : Command<BenchmarkCommand.Settings>
{
    public sealed class Settings : ConfigSettings
    {
        [CommandOption("--steps <K>")]
        [Description("Timed training steps and inference forwards. Default: 10")]
        public int Steps { get; init; } = 10;

        [CommandOption("--warmup <N>")]
        [Description("Untimed steps before each timed phase. Default: 3")]
        public int Warmup { get; init; } = 3;

        [CommandOption(PrecisionOption.Template)]
        [Description(PrecisionOption.Description)]
        public string? Precision { get; init; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful) return result;
            result = FlagChecks.First(OptionRanges.BenchmarkSteps.Check("--steps", Steps),
                OptionRanges.BenchmarkWarmup.Check("--warmup", Warmup));
            return result.Successful ? PrecisionOption.Validate(Precision) : result;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = settings.LoadConfig();
        // Physical cores, not logical ones: SMT siblings share a core's FMA units, so extra threads only contend.
        int threads = settings.Threads ?? CpuInfo.Current.PhysicalCores;
        TorchSharp.torch.set_num_threads(threads);
        Precision precision = PrecisionOption.Parse(settings.Precision)
            ?? MixedPrecision.Resolve(config.AmpOptLevel, null).Precision;
        var options = new BenchmarkOptions(precision, threads, settings.Steps, settings.Warmup);
        string name = settings.Cfg ?? "demo (built-in)";

        BenchmarkResult result = console.Profile.Capabilities.Interactive
            ? console.Status().Start("benchmark", status => Benchmark.Run(config, name, options, phase => status.Status(phase)))
            : Benchmark.Run(config, name, options);

        console.Write(Render(result));
        // Raw, so no console width ever wraps the machine-read line.
        console.Profile.Out.Writer.WriteLine(result.ToJson());
        return 0;
    }

    private static Table Render(BenchmarkResult r)
    {
        static string Rate(double flops) => $"{flops / 1e9:F1} GFLOP/s";
        var table = new Table().Border(TableBorder.Rounded).AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        table.Title($"{Markup.Escape(r.ModelType)} {Markup.Escape(r.ModelName)} @ {r.ImgSize} px, batch {r.BatchSize}, " +
                    $"{r.Threads} threads, {r.Precision}");
        table.AddRow("training", $"{r.TrainImagesPerSec:F1} img/s ({r.TrainStepMs:F0} ms/step)");
        table.AddRow("  forward / backward / optimizer", $"{r.ForwardMs:F0} / {r.BackwardMs:F0} / {r.OptimizerMs:F0} ms");
        table.AddRow("inference", $"{r.InferenceImagesPerSec:F1} img/s");
        table.AddRow("input pipeline", $"{r.InputImagesPerSec:F1} img/s ({r.InputWorkers} workers)");
        table.AddRow("  source", Markup.Escape(r.InputSource));
        table.AddRow("peak RSS", $"{r.PeakRssBytes / 1048576.0:F0} MiB");
        table.AddRow("parameters", $"{r.Parameters:N0}");
        table.AddRow("FLOPs per image (fwd / train)", $"{r.FlopsPerImageForward / 1e9:F3} / {r.FlopsPerImageTrain / 1e9:F3} G");
        table.AddRow("achieved (train / inference)", $"{Rate(r.TrainFlopsPerSec)} / {Rate(r.InferenceFlopsPerSec)}");
        table.AddRow($"matmul {r.MatmulSize}² fp32", Rate(r.MatmulFp32FlopsPerSec));
        if (r.MatmulBf16FlopsPerSec is double bf16)
            table.AddRow($"matmul {r.MatmulSize}² bf16", Rate(bf16));
        table.AddRow("MFU (train / inference)", $"{r.Mfu:P1} / {r.InferenceMfu:P1}");
        table.AddRow("loss (first → last step)", $"{r.FirstLoss:F4} → {r.LastLoss:F4}");
        return table;
    }
}
