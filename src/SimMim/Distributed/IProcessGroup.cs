namespace SimMim.Distributed;

/// <summary>
/// The processes of one data-parallel run (PyTorch's process group): who this process is, how many there are, and
/// the two collectives data parallelism needs. Every rank must make the same collective calls in the same order
/// with the same lengths; a rank that skips one blocks the others.
/// </summary>
public interface IProcessGroup
{
    /// <summary>This process's index, 0 … WorldSize−1. Rank 0 alone writes files and reports progress.</summary>
    int Rank { get; }

    /// <summary>Number of processes in the run.</summary>
    int WorldSize { get; }

    /// <summary>Processes of this run on this machine (they share its cores).</summary>
    int LocalSize { get; }

    /// <summary>What carries the collectives, for the log, e.g. "Open MPI v4.1.4".</summary>
    string Description { get; }

    bool IsMain => Rank == 0;

    /// <summary>Replaces <paramref name="data"/> on every rank by the element-wise combination over all ranks.</summary>
    /// <typeparam name="T">float, double or long.</typeparam>
    void AllReduce<T>(Span<T> data, ReduceOp op) where T : unmanaged;

    /// <summary>Copies <paramref name="data"/> of rank <paramref name="root"/> into every other rank's <paramref name="data"/>.</summary>
    /// <typeparam name="T">float, double or long.</typeparam>
    void Broadcast<T>(Span<T> data, int root) where T : unmanaged;

    /// <summary>
    /// Ends this process's part after its last collective (MPI_Finalize). Call it only on success: a rank that fails
    /// exits without it, and the launcher then stops the others instead of leaving them waiting.
    /// </summary>
    void Shutdown();
}
