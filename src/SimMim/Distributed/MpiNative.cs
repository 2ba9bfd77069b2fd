using System.Runtime.InteropServices;

namespace SimMim.Distributed;

/// <summary>
/// The few functions of MPI's C API that data parallelism needs. Handles are pointer-sized (Open MPI's are
/// pointers; MPICH's 32-bit integers travel in the same registers). Every function returns an MPI error code
/// (0 = MPI_SUCCESS), which <see cref="MpiProcessGroup"/> checks.
/// </summary>
internal static class MpiNative
{
    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Initialized(out int flag);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Comm_set_errhandler(IntPtr comm, IntPtr errhandler);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Comm_rank(IntPtr comm, out int rank);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Comm_size(IntPtr comm, out int size);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Allreduce(IntPtr sendbuf, ref byte recvbuf, int count, IntPtr datatype, IntPtr op, IntPtr comm);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Bcast(ref byte buffer, int count, IntPtr datatype, int root, IntPtr comm);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Finalize();

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Get_library_version(byte[] version, out int length);

    [DllImport(MpiLibrary.ImportName)]
    public static extern int MPI_Error_string(int errorcode, byte[] text, out int length);
}
