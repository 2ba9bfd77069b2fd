using System.Diagnostics;
using static TorchSharp.torch;

namespace SimMim.Benchmarking;

/// <summary>
/// This machine's dense matrix-multiply rate, the denominator of model FLOP utilisation: the best of several timed
/// products of two random n×n matrices, with the current torch thread count. Large square products reach close to
/// the BLAS's peak, so a model's MFU says how much of that its mix of smaller, oddly shaped products keeps.
/// </summary>
public static class MatmulRate
{
    /// <summary>FLOP/s (2n³ per product) of the fastest of <paramref name="repeats"/> products after one untimed one.</summary>
    public static double Measure(ScalarType dtype, int size = 2048, int repeats = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var a = randn(size, size).to_type(dtype);
        var b = randn(size, size).to_type(dtype);
        // c = a·b in place (beta 0), so a fresh result's page faults are not timed.
        var c = empty(size, size, dtype);
        c.addmm_(a, b, beta: 0, alpha: 1);   // warms the BLAS's thread pool and packing buffers
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            c.addmm_(a, b, beta: 0, alpha: 1);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * size * size * size / best;
    }
}
