using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>Numeric precision of a training or benchmark run.</summary>
public enum Precision
{
    /// <summary>Everything in float32 (the reference's AMP_OPT_LEVEL O0).</summary>
    Fp32,

    /// <summary>bf16 matrix products with fp32 master weights, norms, softmax and loss (see <see cref="Autocast"/>).</summary>
    Bf16,
}

/// <summary>Names and tensor types of <see cref="Precision"/>.</summary>
public static class PrecisionExtensions
{
    /// <summary>The type matrix products run in.</summary>
    public static ScalarType ComputeType(this Precision precision) =>
        precision == Precision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>fp32 or bf16, the spelling of --precision.</summary>
    public static string Name(this Precision precision) => precision == Precision.Bf16 ? "bf16" : "fp32";

    /// <summary>Parses fp32 / bf16 (case-insensitive); null for anything else.</summary>
    public static Precision? Parse(string text) => text.ToLowerInvariant() switch
    {
        "fp32" or "float32" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        _ => null,
    };
}
