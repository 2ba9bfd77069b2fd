using System.Runtime.InteropServices;
using SimMim.Distributed;

namespace SimMim.Tests.Distributed;

/// <summary>
/// A two-rank group without MPI for testing what is built on the collectives: a float sum all-reduce adds what the
/// imagined other rank holds, given as a multiple of this rank's values; a broadcast from the other rank fills in a constant.
/// </summary>
internal sealed class ScriptedPeerGroup(int rank, float peerFactor = 0, float broadcastValue = 0) : IProcessGroup
{
    public int Rank => rank;

    public int WorldSize => 2;

    public int LocalSize => 2;

    public string Description => "scripted peer";

    public int AllReduceCalls { get; private set; }

    public void AllReduce<T>(Span<T> data, ReduceOp op) where T : unmanaged
    {
        if (typeof(T) != typeof(float) || op != ReduceOp.Sum) throw new NotSupportedException();
        AllReduceCalls++;
        foreach (ref float x in MemoryMarshal.Cast<T, float>(data)) x += peerFactor * x;
    }

    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged
    {
        if (typeof(T) != typeof(float)) throw new NotSupportedException();
        if (root != rank) MemoryMarshal.Cast<T, float>(data).Fill(broadcastValue);
    }

    public void Shutdown()
    {
    }
}
