using static TorchSharp.torch;

namespace SimMim.Models.Layers;

/// <summary>
/// An ambient mixed-precision scope, the CPU counterpart of <c>torch.autocast</c>, which TorchSharp lacks. Inside
/// <c>using (Autocast.Enable(ScalarType.BFloat16))</c> the ops in <see cref="AutocastOps"/> run their matrix
/// products in bf16 while parameters, LayerNorm, softmax-with-bias, the loss and the residual stream stay fp32.
/// The scope is per thread: the forward that records the casts runs on the calling thread, and autograd
/// replays them in backward without needing the scope.
/// </summary>
public static class Autocast
{
    [ThreadStatic]
    private static ScalarType? t_computeType;

    /// <summary>The reduced type of the current scope, or null when ops run in their inputs' precision.</summary>
    public static ScalarType? ComputeType => t_computeType;

    /// <summary>Opens a scope; <see cref="ScalarType.Float32"/> opens one that turns mixed precision off.</summary>
    /// <exception cref="ArgumentException">A type other than Float32, BFloat16 or Float16.</exception>
    public static Scope Enable(ScalarType computeType)
    {
        if (computeType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
        {
            throw new ArgumentException($"autocast computes in Float32, BFloat16 or Float16, not {computeType}", nameof(computeType));
        }
        var previous = t_computeType;
        t_computeType = computeType == ScalarType.Float32 ? null : computeType;
        return new Scope(previous);
    }

    /// <summary>The scope of a <see cref="Precision"/>: bf16 for <see cref="Precision.Bf16"/>, fp32 otherwise.</summary>
    public static Scope Enable(Precision precision) => Enable(precision.ComputeType());

    /// <summary>Restores the enclosing scope's type when disposed, so scopes nest.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly ScalarType? _previous;

        internal Scope(ScalarType? previous) => _previous = previous;

        public void Dispose() => t_computeType = _previous;
    }
}
