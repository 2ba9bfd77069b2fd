using System.Globalization;

namespace SimMim.Distributed;

/// <summary>Chooses the process group from how the program was started.</summary>
public static class ProcessGroup
{
    /// <summary>
    /// MPI when an MPI launcher started more than one process (Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE, MPICH's
    /// Hydra PMI_SIZE); otherwise the single-process group, and MPI is never touched.
    /// </summary>
    /// <param name="environment">Reads an environment variable; the process environment by default.</param>
    /// <exception cref="DistributedException">Launched by mpirun, but MPI cannot be loaded or initialised.</exception>
    public static IProcessGroup FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (LaunchedProcesses(environment) <= 1)
            return SingleProcessGroup.Instance;
        var library = MpiLibrary.Load(environment(MpiLibrary.OverrideVariable));
        int? localSize = Parse(environment("OMPI_COMM_WORLD_LOCAL_SIZE")) ?? Parse(environment("MPI_LOCALNRANKS"));
        return MpiProcessGroup.Initialize(library, localSize);
    }

    /// <summary>How many processes an MPI launcher started (1 when none did), without touching MPI.</summary>
    public static int LaunchedProcesses(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        return Parse(environment("OMPI_COMM_WORLD_SIZE")) ?? Parse(environment("PMI_SIZE")) ?? 1;
    }

    private static int? Parse(string? value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : null;
}
