using System.Diagnostics;
using static TorchSharp.torch;

namespace SimMim.Distributed;

/// <summary>What <see cref="CollectiveCheck.Run"/> measured on this rank.</summary>
/// <param name="Processes">Ranks in the group.</param>
/// <param name="Description">What carries the collectives.</param>
/// <param name="Parameters">Trainable parameters of the model whose gradients were all-reduced.</param>
/// <param name="GradientBytes">Bytes per gradient all-reduce (float32 gradients).</param>
/// <param name="Buckets">All-reduce calls per step.</param>
/// <param name="Iterations">Timed gradient all-reduces.</param>
/// <param name="MeanMilliseconds">Mean time of one gradient all-reduce (packing included).</param>
/// <param name="MinMilliseconds">Fastest gradient all-reduce.</param>
/// <param name="MpiMilliseconds">Mean time inside MPI per gradient all-reduce.</param>
/// <param name="SmallAllReduceMicroseconds">Mean time of the per-step 2-value all-reduce (loss and stop flag).</param>
public sealed record CollectiveCheckReport(int Processes, string Description, long Parameters, long GradientBytes, int Buckets,
    int Iterations, double MeanMilliseconds, double MinMilliseconds, double MpiMilliseconds, double SmallAllReduceMicroseconds);

/// <summary>
/// Checks that the collectives work across the launched processes (each result is compared with what every rank can
/// compute on its own) and times the gradient all-reduce of a given model: the first thing to run on a new cluster.
/// </summary>
public static class CollectiveCheck
{
    /// <exception cref="DistributedException">A collective gave a wrong result; the message names it.</exception>
    public static CollectiveCheckReport Run(IProcessGroup group, nn.Module model, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        int w = group.WorldSize, rank = group.Rank;
        const int n = 1000;

        var floats = Enumerable.Range(0, n).Select(i => (float)(rank + i)).ToArray();
        group.AllReduce<float>(floats, ReduceOp.Sum);
        Expect("float sum all-reduce", floats, i => (float)(w * (w - 1) / 2 + w * i));

        var doubles = Enumerable.Range(0, n).Select(i => (double)rank * i).ToArray();
        group.AllReduce<double>(doubles, ReduceOp.Max);
        Expect("double max all-reduce", doubles, i => (double)(w - 1) * i);

        // Above 2^32, so a 32-bit datatype would show.
        var longs = Enumerable.Range(0, n).Select(i => ((long)rank << 33) + i).ToArray();
        group.AllReduce<long>(longs, ReduceOp.Sum);
        Expect("int64 sum all-reduce", longs, i => ((long)(w * (w - 1) / 2) << 33) + (long)w * i);

        int root = w - 1;
        var broadcast = Enumerable.Range(0, n).Select(i => (float)(rank * n + i)).ToArray();
        group.Broadcast<float>(broadcast, root);
        Expect($"broadcast from rank {root}", broadcast, i => (float)(root * n + i));

        CheckSync(group, model);

        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var reducer = new GradientAllReducer(group, parameters);
        using (var scope = NewDisposeScope())
        {
            // Gradient rank + 1 everywhere: the average over the ranks is (W + 1) / 2.
            parameters.Select(p => (p * (rank + 1)).sum()).Aggregate((a, b) => a + b).backward();
        }
        reducer.AllReduce();   // warm-up: first-touch of the buffers, MPI connection set-up
        var times = new double[iterations];
        TimeSpan mpiBefore = reducer.CommunicationTime;
        for (int i = 0; i < iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            reducer.AllReduce();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        double mpi = (reducer.CommunicationTime - mpiBefore).TotalMilliseconds / iterations;
        float expected = (w + 1) / 2f;
        using (var scope = NewDisposeScope())
        {
            foreach (var p in parameters)
            {
                double error = (p.grad! - expected).abs().max().item<float>();
                if (error != 0)
                    throw new DistributedException($"gradient all-reduce: expected every gradient to be {expected}, off by {error} on rank {rank}");
            }
        }

        double[] small = new double[2];
        const int smallIterations = 200;
        var smallClock = Stopwatch.StartNew();
        for (int i = 0; i < smallIterations; i++) group.AllReduce<double>(small, ReduceOp.Sum);
        double smallMicroseconds = smallClock.Elapsed.TotalMicroseconds / smallIterations;

        return new CollectiveCheckReport(w, group.Description, parameters.Sum(p => p.numel()), reducer.BytesPerStep,
            reducer.BucketCount, iterations, times.Average(), times.Min(), mpi, smallMicroseconds);
    }

    // Broadcast makes the replicas equal; a nudge on the last rank must then show as exactly that spread.
    private static void CheckSync(IProcessGroup group, nn.Module model)
    {
        ModuleSync.BroadcastFromMain(group, model);
        double spread = ModuleSync.MaxSpread(group, model);
        if (spread != 0)
            throw new DistributedException($"parameter broadcast: the processes' weights still differ by {spread}");
        if (group.WorldSize == 1) return;
        var first = model.parameters().First();
        using (no_grad())
        {
            if (group.Rank == group.WorldSize - 1) first.view(-1)[0].add_(0.5f);
            spread = ModuleSync.MaxSpread(group, model);
            if (group.Rank == group.WorldSize - 1) first.view(-1)[0].sub_(0.5f);
        }
        if (Math.Abs(spread - 0.5) > 1e-6)
            throw new DistributedException($"weight spread: a change of 0.5 on rank {group.WorldSize - 1} was measured as {spread}");
    }

    private static void Expect<T>(string what, T[] actual, Func<int, T> expected) where T : IEquatable<T>
    {
        for (int i = 0; i < actual.Length; i++)
        {
            if (!actual[i].Equals(expected(i)))
                throw new DistributedException($"{what}: element {i} is {actual[i]}, expected {expected(i)}");
        }
    }
}
