using System.ComponentModel;
using SimMim.Cli.Settings;
using SimMim.IO;
using SimMim.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`simmim eval`: accuracy of a fine-tuned checkpoint on the validation split; writes eval.json.</summary>
public sealed class EvalCommand(IAnsiConsole console) : Command<EvalCommand.Settings>
{
    public sealed class Settings : ConfigSettings
    {
        [CommandOption("--resume <CKPT>")]
        [Description("Fine-tuned checkpoint to evaluate (required)")]
        public string? Resume { get; init; }

        [CommandOption("--output <DIR>")]
        [Description("Output root (overrides OUTPUT); eval.json goes to OUTPUT/MODEL.NAME/TAG")]
        public string? Output { get; init; }

        [CommandOption("--tag <TAG>")]
        [Description("Run tag (overrides TAG)")]
        public string? Tag { get; init; }

        [CommandOption(HoldoutOption.Template)]
        [Description(HoldoutOption.Description)]
        public double Holdout { get; init; }

        public override ValidationResult Validate()
        {
            var holdout = HoldoutOption.Validate(Holdout);
            if (!holdout.Successful) return holdout;
            if (Resume is null) return ValidationResult.Error("--resume <CKPT> is required: the checkpoint to evaluate");
            if (UserPaths.FileProblem(Resume) is { } problem) return ValidationResult.Error($"--resume: checkpoint {problem}: {Resume}");
            return base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = settings.LoadConfig();
        if (settings.Output is not null) config = config with { Output = settings.Output };
        if (settings.Tag is not null) config = config with { Tag = settings.Tag };
        DistributedLaunch.RefuseParallel("eval");
        settings.ApplyThreads();
        var report = Evaluator.Run(config, settings.Resume!, settings.Holdout, cancellationToken);
        var r = report.Result;

        var summary = new Table().Border(TableBorder.Rounded).AddColumn("class").AddColumn(new TableColumn("images").RightAligned())
            .AddColumn(new TableColumn("top-1 %").RightAligned());
        for (int c = 0; c < r.ConfusionMatrix.Length; c++)
        {
            string name = c < report.ClassNames.Count ? report.ClassNames[c] : $"{c}";
            summary.AddRow(Markup.Escape(name), $"{r.ConfusionMatrix[c].Sum()}", r.PerClassAccuracy[c] is double a ? $"{a:F2}" : "–");
        }
        console.Write(summary);

        var confusion = new Table().Border(TableBorder.Simple).Title("confusion matrix (rows: true, columns: predicted)").AddColumn("");
        for (int c = 0; c < r.ConfusionMatrix.Length; c++) confusion.AddColumn(new TableColumn($"{c}").RightAligned());
        for (int t = 0; t < r.ConfusionMatrix.Length; t++)
            confusion.AddRow([$"{t}", .. r.ConfusionMatrix[t].Select(n => $"{n}")]);
        console.Write(confusion);

        console.MarkupLineInterpolated($"top-1 [bold green]{r.Top1:F2} %[/], top-5 {r.Top5:F2} %, loss {report.Loss:F4} on {r.Count} images");
        console.MarkupLineInterpolated($"report: {Path.Combine(SimMim.Config.ResolvedRun.Resolve(config).OutputDir, Evaluator.ReportFileName)}");
        return 0;
    }
}
