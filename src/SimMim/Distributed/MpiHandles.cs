using System.Runtime.InteropServices;

namespace SimMim.Distributed;

/// <summary>
/// The MPI handles the collectives need. Their representation is not part of the MPI standard's ABI: Open MPI's
/// are addresses of exported globals (MPI_COMM_WORLD is &amp;ompi_mpi_comm_world), MPICH's are integer constants
/// from mpi.h (passed in the same argument registers). So they are looked up at run time by implementation, and
/// supporting another MPI means adding its factory here.
/// </summary>
internal sealed record MpiHandles(
    string Implementation,
    IntPtr CommWorld,
    IntPtr Float32,
    IntPtr Float64,
    IntPtr Int64,
    IntPtr Sum,
    IntPtr Max,
    IntPtr ErrorsReturn,
    IntPtr InPlace)
{
    /// <summary>MPI_THREAD_SERIALIZED: calls may come from any thread, one at a time (same value in Open MPI and MPICH).</summary>
    public const int ThreadSerialized = 2;

    /// <exception cref="DistributedException">The library is not an MPI this port supports.</exception>
    public static MpiHandles Resolve(IntPtr library, string path)
    {
        if (NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out _))
            return OpenMpi(library);
        if (NativeLibrary.TryGetExport(library, "MPIR_Err_return_comm", out _))
            throw new DistributedException($"{path} is MPICH (or derived from it); only Open MPI is supported so far");
        throw new DistributedException($"{path} exports none of Open MPI's or MPICH's symbols; is it an MPI library?");
    }

    private static MpiHandles OpenMpi(IntPtr library)
    {
        IntPtr Export(string name) => NativeLibrary.GetExport(library, name);
        return new MpiHandles(
            Implementation: "Open MPI",
            CommWorld: Export("ompi_mpi_comm_world"),
            Float32: Export("ompi_mpi_float"),
            Float64: Export("ompi_mpi_double"),
            Int64: Export("ompi_mpi_int64_t"),
            Sum: Export("ompi_mpi_op_sum"),
            Max: Export("ompi_mpi_op_max"),
            ErrorsReturn: Export("ompi_mpi_errors_return"),
            InPlace: 1);   // mpi.h: #define MPI_IN_PLACE ((void *) 1)
    }

    public IntPtr Datatype<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? Float32
        : typeof(T) == typeof(double) ? Float64
        : typeof(T) == typeof(long) ? Int64
        : throw new NotSupportedException($"no MPI datatype for {typeof(T).Name}");

    public IntPtr Op(ReduceOp op) => op switch
    {
        ReduceOp.Sum => Sum,
        ReduceOp.Max => Max,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };
}
