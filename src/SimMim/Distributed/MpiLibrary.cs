using System.Reflection;
using System.Runtime.InteropServices;

namespace SimMim.Distributed;

/// <summary>
/// Finds libmpi at run time (nothing links against it at build time, so a machine without MPI runs single-process
/// as before) and points <see cref="MpiNative"/>'s imports at it.
/// </summary>
internal static class MpiLibrary
{
    /// <summary>The library name <see cref="MpiNative"/> imports from; the resolver maps it to the loaded file.</summary>
    public const string ImportName = "simmim-mpi";

    /// <summary>Environment variable naming the MPI library to use instead of the search list.</summary>
    public const string OverrideVariable = "SIMMIM_MPI_LIBRARY";

    /// <summary>Open MPI 3–5 (Debian's openmpi-bin), its unversioned dev link, then MPICH (and its derivatives).</summary>
    public static readonly IReadOnlyList<string> Candidates = ["libmpi.so.40", "libmpi.so", "libmpich.so.12"];

    private static readonly Lock s_lock = new();
    private static (IntPtr Handle, string Path)? s_loaded;

    /// <summary>Loads the first library that opens: <paramref name="overridePath"/> alone when given, else <see cref="Candidates"/>.</summary>
    /// <exception cref="DistributedException">None of them could be loaded.</exception>
    public static (IntPtr Handle, string Path) Load(string? overridePath)
    {
        lock (s_lock)
        {
            if (s_loaded is { } loaded)
                return loaded;
            IReadOnlyList<string> names = overridePath is { Length: > 0 } ? [overridePath] : Candidates;
            foreach (string name in names)
            {
                if (NativeLibrary.TryLoad(name, out IntPtr handle))
                {
                    s_loaded = (handle, name);
                    NativeLibrary.SetDllImportResolver(typeof(MpiLibrary).Assembly, Resolve);
                    return (handle, name);
                }
            }
            throw new DistributedException(
                $"launched by mpirun but no MPI library could be loaded (tried {string.Join(", ", names)}); " +
                $"install Open MPI (apt-get install openmpi-bin libopenmpi-dev) or set {OverrideVariable}");
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == ImportName && s_loaded is { } loaded ? loaded.Handle : IntPtr.Zero;
}
