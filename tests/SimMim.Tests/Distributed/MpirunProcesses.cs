using System.Globalization;
using SimMim.Tests.Parity;

namespace SimMim.Tests.Distributed;

/// <summary>Runs the built `simmim` as a child process, alone or under `mpirun -np N`.</summary>
internal static class MpirunProcesses
{
    // Generous: under mpirun on a loaded 2-core machine a rank waits for CPU as well as for the other rank.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(300);

    /// <summary>mpirun on PATH, or null.</summary>
    public static string? Mpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "mpirun"))
        .FirstOrDefault(File.Exists);

    /// <summary>The CLI built next to the tests (the test project references it).</summary>
    public static string Simmim => Path.Combine(AppContext.BaseDirectory, "SimMim.Cli");

    /// <summary>`simmim args` in a process of its own, with extra environment variables.</summary>
    public static (int ExitCode, string Output) Alone(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Run(Simmim, args, environment);

    /// <summary>
    /// `mpirun -np N simmim args`: no core binding (the ranks' threads may use every core), allowed as root (CI
    /// containers) and on more processes than cores; a rank waiting in a collective yields its core instead of
    /// spinning, which keeps a busy test machine from starving the rank that still computes.
    /// </summary>
    public static (int ExitCode, string Output) Launch(int processes, params string[] args) =>
        Run(Mpirun ?? throw new InvalidOperationException("mpirun is not installed"),
            ["-np", processes.ToString(CultureInfo.InvariantCulture), "--bind-to", "none", "--oversubscribe", "--allow-run-as-root",
             "--mca", "mpi_yield_when_idle", "1", Simmim, .. args], null);

    /// <summary>One process per argument list, each with its own arguments (mpirun's `-np 1 a : -np 1 b` form).</summary>
    public static (int ExitCode, string Output) LaunchEach(params string[][] perProcess) =>
        Run(Mpirun ?? throw new InvalidOperationException("mpirun is not installed"),
            ["--bind-to", "none", "--oversubscribe", "--allow-run-as-root", "--mca", "mpi_yield_when_idle", "1",
             .. perProcess.SelectMany((args, i) => (string[])[.. (i > 0 ? [":"] : Array.Empty<string>()), "-np", "1", Simmim, .. args])],
            null);

    private static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment) =>
        ParityFixtures.RunProcess(fileName, args, environment, Timeout);
}
