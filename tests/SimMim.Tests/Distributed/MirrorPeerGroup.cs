using System.Runtime.InteropServices;
using SimMim.Distributed;

namespace SimMim.Tests.Distributed;

/// <summary>
/// A two-rank group without MPI whose imagined other rank always holds exactly what this one holds, so a training
/// loop runs through every collective as one of two identical replicas: a sum doubles, a max keeps, a broadcast keeps.
/// </summary>
internal sealed class MirrorPeerGroup(int rank) : IProcessGroup
{
    public int Rank => rank;

    public int WorldSize => 2;

    public int LocalSize => 2;

    public string Description => "mirror peer";

    public void AllReduce<T>(Span<T> data, ReduceOp op) where T : unmanaged
    {
        if (op != ReduceOp.Sum) return;
        if (typeof(T) == typeof(float)) foreach (ref float x in MemoryMarshal.Cast<T, float>(data)) x *= 2;
        else if (typeof(T) == typeof(double)) foreach (ref double x in MemoryMarshal.Cast<T, double>(data)) x *= 2;
        else if (typeof(T) == typeof(long)) foreach (ref long x in MemoryMarshal.Cast<T, long>(data)) x *= 2;
        else throw new NotSupportedException(typeof(T).Name);
    }

    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged
    {
    }

    public void Shutdown()
    {
    }
}
