namespace SimMim.Tests.Distributed;

/// <summary>
/// A test that launches processes with mpirun. Skipped, with the reason, only where mpirun is not installed;
/// scripts/setup.sh installs Open MPI, so in CI these tests run.
/// </summary>
public sealed class MpirunFactAttribute : FactAttribute
{
    public MpirunFactAttribute()
    {
        if (MpirunProcesses.Mpirun is null)
            Skip = "mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin libopenmpi-dev; scripts/setup.sh does)";
    }
}
