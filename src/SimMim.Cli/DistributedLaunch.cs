using SimMim.Cli.Settings;
using SimMim.Distributed;
using Spectre.Console;

namespace SimMim.Cli;

/// <summary>
/// Runs a verb as this process's part of an mpirun launch, or alone when there is none: joins the process group,
/// gives the torch thread pool this process's share of the cores, lets only rank 0 write to the console, and ends
/// MPI after a normal return. After an exception MPI is left as it is: the rank exits non-zero and mpirun stops
/// the others, which would otherwise wait for it in their next all-reduce.
/// </summary>
internal static class DistributedLaunch
{
    private static readonly IAnsiConsole s_silent = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(TextWriter.Null),
    });

    public static int Run(ConfigSettings settings, IAnsiConsole console, Func<IProcessGroup, IAnsiConsole, int> verb)
    {
        IProcessGroup group = ProcessGroup.FromEnvironment();
        settings.ApplyThreads(group.LocalSize);
        int code = verb(group, group.IsMain ? console : s_silent);
        group.Shutdown();
        return code;
    }

    /// <summary>For verbs without a data-parallel mode: under mpirun every process would write the same files.</summary>
    /// <exception cref="DistributedException">Launched by mpirun with more than one process.</exception>
    public static void RefuseParallel(string verb)
    {
        int processes = ProcessGroup.LaunchedProcesses();
        if (processes > 1)
            throw new DistributedException($"`simmim {verb}` runs as one process; launch it without mpirun (got {processes} processes)");
    }
}
