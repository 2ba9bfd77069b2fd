using SimMim.Config;
using SimMim.Hardware;
using SimMim.Models.Layers;

namespace SimMim.Training;

/// <summary>The precision a run trains in, and why.</summary>
/// <param name="Precision">fp32 or bf16.</param>
/// <param name="Reason">One line for the run log: the setting it came from and any fallback.</param>
/// <param name="FellBack">True when the config asked for mixed precision and this CPU cannot do it natively.</param>
public sealed record PrecisionChoice(Precision Precision, string Reason, bool FellBack = false);

/// <summary>
/// Maps the reference's AMP_OPT_LEVEL to a precision on this CPU. The reference's apex O1/O2 train in fp16 on the GPU
/// with a dynamic loss scale; here mixed precision is bf16 (fp32's exponent range, so no loss scaling), and only on a
/// CPU with native bf16 dot products: elsewhere bf16 is emulated and slower than fp32, so O1/O2 fall back to fp32.
/// An explicit request (--precision) is honoured as given.
/// </summary>
public static class MixedPrecision
{
    /// <param name="ampOptLevel">The config's AMP_OPT_LEVEL.</param>
    /// <param name="requested">--precision, which overrides the config; null = follow the config.</param>
    /// <param name="cpuHasBf16">Whether the CPU has AVX512-BF16 or AMX-BF16 (<see cref="CpuInfo.HasBf16"/>).</param>
    /// <exception cref="ConfigException">AMP_OPT_LEVEL is not one of <see cref="ConfigValidator.AmpOptLevels"/>.</exception>
    public static PrecisionChoice Resolve(string ampOptLevel, Precision? requested, bool cpuHasBf16)
    {
        if (!ConfigValidator.AmpOptLevels.Contains(ampOptLevel))
        {
            throw new ConfigException($"AMP_OPT_LEVEL must be '', O0, O1 or O2, got '{ampOptLevel}'");
        }
        if (requested is Precision p)
        {
            return new PrecisionChoice(p, $"precision {p.Name()} (--precision)" +
                (p == Precision.Bf16 && !cpuHasBf16 ? "; this CPU has no native bf16, expect it to be slower than fp32" : ""));
        }
        if (ampOptLevel is "" or "O0")
        {
            return new PrecisionChoice(Precision.Fp32, $"precision fp32 (AMP_OPT_LEVEL '{ampOptLevel}')");
        }
        return cpuHasBf16
            ? new PrecisionChoice(Precision.Bf16, $"precision bf16 mixed (AMP_OPT_LEVEL {ampOptLevel})")
            : new PrecisionChoice(Precision.Fp32,
                $"precision fp32: AMP_OPT_LEVEL {ampOptLevel} asks for mixed precision, but this CPU has no native bf16 (avx512_bf16/amx_bf16)",
                FellBack: true);
    }

    /// <summary><see cref="Resolve(string, Precision?, bool)"/> on this machine's CPU.</summary>
    public static PrecisionChoice Resolve(string ampOptLevel, Precision? requested) =>
        Resolve(ampOptLevel, requested, CpuInfo.Current.HasBf16);

    /// <summary>
    /// The run's precision (--precision, else AMP_OPT_LEVEL on this CPU), written to the log; shown on the console too
    /// when it is bf16 or a fallback, the cases a user should notice.
    /// </summary>
    internal static PrecisionChoice Choose(string ampOptLevel, Precision? requested, RunReporter reporter)
    {
        var choice = Resolve(ampOptLevel, requested);
        if (choice.Precision == Precision.Bf16 || choice.FellBack)
            reporter.Message(choice.Reason);
        else
            reporter.Log(choice.Reason);
        return choice;
    }
}
