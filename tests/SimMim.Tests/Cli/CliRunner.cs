using SimMim.Cli;
using Spectre.Console.Testing;

namespace SimMim.Tests.Cli;

/// <summary>Runs `simmim` in-process on a wide test console; returns the exit code and the non-empty output lines.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string[] Lines) Run(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 400;
        int code = SimMimApp.Run(args, console);
        return (code, console.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
