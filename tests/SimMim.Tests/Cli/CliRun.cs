using SimMim.Cli;
using Spectre.Console.Testing;

namespace SimMim.Tests.Cli;

/// <summary>What one in-process run of `simmim` printed: standard output and standard error, as non-empty lines.</summary>
internal sealed record CliResult(int ExitCode, string[] Out, string[] Err)
{
    /// <summary>Both streams, for a failure message.</summary>
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{string.Join('\n', Out)}\nstderr:\n{string.Join('\n', Err)}";
}

/// <summary>Runs <see cref="SimMimApp"/> in process with test consoles for standard output and standard error.</summary>
internal static class CliRun
{
    /// <param name="width">Console width; 80 is what Spectre assumes when output is redirected.</param>
    /// <param name="args">The command line.</param>
    public static CliResult Run(int width, params string[] args)
    {
        var stdout = new TestConsole();
        var stderr = new TestConsole();
        stdout.Profile.Width = width;
        stderr.Profile.Width = width;
        int code = SimMimApp.Run(args, stdout, stderr);
        return new CliResult(code, Lines(stdout.Output), Lines(stderr.Output));
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
