using System.ComponentModel;
using SimMim.Config;
using SimMim.IO;
using Spectre.Console.Cli;

namespace SimMim.Cli.Settings;

/// <summary>Flags of the classification verbs (finetune, linprobe, eval): output location and the pretrained checkpoint.</summary>
public class RunSettings : OutputSettings
{
    [CommandOption("--pretrained <CKPT>")]
    [Description("SimMIM pretraining checkpoint to start from (overrides PRETRAINED)")]
    public string? Pretrained { get; init; }

    [CommandOption("--label-fraction <F>")]
    [Description("Train on a class-stratified fraction of the labels, e.g. 0.01 or 0.1. Default: 1")]
    public double LabelFraction { get; init; } = 1.0;

    [CommandOption(HoldoutOption.Template)]
    [Description(HoldoutOption.Description)]
    public double Holdout { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        var result = base.Validate();
        if (!result.Successful) return result;
        if (Pretrained is not null && UserPaths.FileProblem(Pretrained) is { } problem)
            return Spectre.Console.ValidationResult.Error($"--pretrained: checkpoint {problem}: {Pretrained}");
        return FlagChecks.First(OptionRanges.LabelFraction.Check("--label-fraction", LabelFraction),
            OptionRanges.Holdout.Check("--holdout", Holdout));
    }
}
