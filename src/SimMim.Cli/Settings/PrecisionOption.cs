using SimMim.Models.Layers;
using Spectre.Console;

namespace SimMim.Cli.Settings;

/// <summary>--precision fp32|bf16, shared by pretrain, finetune and benchmark: overrides AMP_OPT_LEVEL.</summary>
internal static class PrecisionOption
{
    public const string Template = "--precision <PRECISION>";
    public const string Description =
        "fp32, or bf16 mixed precision (bf16 matmuls, fp32 weights, norms and loss). Default: from AMP_OPT_LEVEL (O1/O2 = bf16 where the CPU has native bf16)";

    public static ValidationResult Validate(string? value) =>
        value is null || PrecisionExtensions.Parse(value) is not null
            ? ValidationResult.Success()
            : ValidationResult.Error($"--precision must be fp32 or bf16, got '{value}'");

    /// <summary>The validated option, or null when absent.</summary>
    public static Precision? Parse(string? value) => value is null ? null : PrecisionExtensions.Parse(value);
}
