using Spectre.Console;

namespace SimMim.Cli.Settings;

/// <summary>Turns range checks of flags (<see cref="SimMim.Config.ValueRange.Check"/>) into Spectre's validation result.</summary>
internal static class FlagChecks
{
    /// <summary>The first problem found (null entries are checks that passed), else success.</summary>
    public static ValidationResult First(params string?[] problems) =>
        problems.FirstOrDefault(p => p is not null) is { } problem ? ValidationResult.Error(problem) : ValidationResult.Success();
}
