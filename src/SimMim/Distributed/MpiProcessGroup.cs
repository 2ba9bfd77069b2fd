using System.Runtime.InteropServices;
using System.Text;

namespace SimMim.Distributed;

/// <summary>
/// MPI_COMM_WORLD of an mpirun launch. MPI is initialised once per process (it cannot be initialised again after
/// MPI_Finalize), so there is at most one instance. Errors come back as return codes (MPI_ERRORS_RETURN) and become
/// <see cref="DistributedException"/>s naming the call, instead of MPI aborting the job on its own.
/// </summary>
internal sealed class MpiProcessGroup : IProcessGroup
{
    private static readonly Lock s_lock = new();
    private static MpiProcessGroup? s_instance;

    private readonly MpiHandles _handles;
    private bool _finalized;

    private MpiProcessGroup(MpiHandles handles, int rank, int worldSize, int localSize, string description)
    {
        _handles = handles;
        Rank = rank;
        WorldSize = worldSize;
        LocalSize = localSize;
        Description = description;
    }

    public int Rank { get; }

    public int WorldSize { get; }

    public int LocalSize { get; }

    public string Description { get; }

    /// <summary>Initialises MPI through <paramref name="library"/> (or returns the group made earlier in this process).</summary>
    /// <param name="library">The loaded MPI library and the name it was loaded by.</param>
    /// <param name="localSize">Ranks on this machine, from the launcher's environment; null = unknown (taken as 1).</param>
    /// <exception cref="DistributedException">Not an MPI this port supports, or an MPI call failed.</exception>
    public static MpiProcessGroup Initialize((IntPtr Handle, string Path) library, int? localSize)
    {
        lock (s_lock)
        {
            if (s_instance is not null)
                return s_instance;
            var handles = MpiHandles.Resolve(library.Handle, library.Path);
            Check(MpiNative.MPI_Initialized(out int initialized), "MPI_Initialized");
            if (initialized == 0)
            {
                // SERIALIZED: the training thread makes the calls, but need not be the thread that initialised MPI.
                Check(MpiNative.MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, MpiHandles.ThreadSerialized, out int provided), "MPI_Init_thread");
                if (provided < MpiHandles.ThreadSerialized)
                    throw new DistributedException($"{library.Path} provides MPI thread level {provided}; SimMIM.NET needs MPI_THREAD_SERIALIZED ({MpiHandles.ThreadSerialized})");
            }
            Check(MpiNative.MPI_Comm_set_errhandler(handles.CommWorld, handles.ErrorsReturn), "MPI_Comm_set_errhandler");
            Check(MpiNative.MPI_Comm_rank(handles.CommWorld, out int rank), "MPI_Comm_rank");
            Check(MpiNative.MPI_Comm_size(handles.CommWorld, out int size), "MPI_Comm_size");
            s_instance = new MpiProcessGroup(handles, rank, size, Math.Clamp(localSize ?? 1, 1, size),
                $"{LibraryVersion(handles.Implementation)} ({library.Path})");
            return s_instance;
        }
    }

    public void AllReduce<T>(Span<T> data, ReduceOp op) where T : unmanaged
    {
        if (data.IsEmpty) return;
        ref byte buffer = ref MemoryMarshal.GetReference(MemoryMarshal.AsBytes(data));
        Check(MpiNative.MPI_Allreduce(_handles.InPlace, ref buffer, data.Length, _handles.Datatype<T>(), _handles.Op(op),
            _handles.CommWorld), "MPI_Allreduce");
    }

    public void Broadcast<T>(Span<T> data, int root) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, WorldSize);
        if (data.IsEmpty) return;
        ref byte buffer = ref MemoryMarshal.GetReference(MemoryMarshal.AsBytes(data));
        Check(MpiNative.MPI_Bcast(ref buffer, data.Length, _handles.Datatype<T>(), root, _handles.CommWorld), "MPI_Bcast");
    }

    public void Shutdown()
    {
        lock (s_lock)
        {
            if (_finalized) return;
            _finalized = true;
            Check(MpiNative.MPI_Finalize(), "MPI_Finalize");
        }
    }

    /// <exception cref="DistributedException">The call returned an error; the message names it and gives MPI's text.</exception>
    private static void Check(int code, string call)
    {
        if (code == 0) return;
        var text = new byte[1024];   // ≥ MPI_MAX_ERROR_STRING of Open MPI (256) and MPICH (1024)
        string reason = MpiNative.MPI_Error_string(code, text, out int length) == 0
            ? Encoding.ASCII.GetString(text, 0, Math.Clamp(length, 0, text.Length))
            : "no description";
        throw new DistributedException($"{call} failed with MPI error {code}: {reason}");
    }

    // First line of MPI_Get_library_version, e.g. "Open MPI v4.1.4, package: Debian OpenMPI, ..." → up to the comma.
    private static string LibraryVersion(string implementation)
    {
        var text = new byte[8192];   // ≥ MPI_MAX_LIBRARY_VERSION_STRING of Open MPI (256) and MPICH (8192)
        if (MpiNative.MPI_Get_library_version(text, out int length) != 0)
            return implementation;
        string version = Encoding.ASCII.GetString(text, 0, Math.Clamp(length, 0, text.Length)).TrimEnd('\0');
        string first = version.Split('\n', ',')[0].Trim();
        return first.Length > 0 ? first : implementation;
    }
}
