using SimMim.Config;
using Spectre.Console;

namespace SimMim.Cli.Settings;

/// <summary>--holdout F, shared by finetune, linprobe and eval: validate on held-out training images.</summary>
internal static class HoldoutOption
{
    public const string Template = "--holdout <F>";
    public const string Description =
        "Validate on a class-stratified fraction F of the training images (the same ones in every run) instead of the validation split, e.g. 0.1, to choose a recipe without the test set. Default: 0 (the validation split)";

    public static ValidationResult Validate(double value) => FlagChecks.First(OptionRanges.Holdout.Check("--holdout", value));
}
