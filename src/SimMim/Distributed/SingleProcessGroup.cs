namespace SimMim.Distributed;

/// <summary>The group of a run not launched by mpirun: one rank, and every collective leaves the data as it is.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    public static readonly SingleProcessGroup Instance = new();

    private SingleProcessGroup()
    {
    }

    public int Rank => 0;

    public int WorldSize => 1;

    public int LocalSize => 1;

    public string Description => "single process";

    public void AllReduce<T>(Span<T> data, ReduceOp op) where T : unmanaged
    {
    }

    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged =>
        ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);

    public void Shutdown()
    {
    }
}
