using SimMim.Cli;
using SimMim.Tests.Distributed;
using Spectre.Console.Testing;

namespace SimMim.Tests.Cli;

/// <summary>What one in-process run of `simmim` printed: standard output and standard error, as non-empty lines.</summary>
internal sealed record CliResult(int ExitCode, string[] Out, string[] Err)
{
    /// <summary>Both streams, standard output first.</summary>
    public string[] Lines => [.. Out, .. Err];

    /// <summary>The exit code and both streams' lines, for tests that look at what a user's terminal shows.</summary>
    public void Deconstruct(out int exitCode, out string[] lines) => (exitCode, lines) = (ExitCode, Lines);

    /// <summary>Both streams, for a failure message.</summary>
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{string.Join('\n', Out)}\nstderr:\n{string.Join('\n', Err)}";
}

/// <summary>`simmim` in this process (test consoles for standard output and standard error) or as a process of its own.</summary>
internal static class CliRun
{
    /// <summary>The finetune config shipped beside the program; its data path is never read by the tests that fail first.</summary>
    public static string FinetuneConfig => Path.Combine(AppContext.BaseDirectory, "configs", "fashion_mnist_finetune_vit_tiny.yaml");

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

    /// <summary>In process on a console wide enough that no line wraps.</summary>
    public static CliResult Run(params string[] args) => Run(400, args);

    /// <summary>In process on a console as wide as a redirected one.</summary>
    public static CliResult InProcess(params string[] args) => Run(80, args);

    /// <summary>The built program as a child process, with extra environment variables; its two streams merged.</summary>
    public static (int ExitCode, string[] Lines) Alone(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var (code, output) = MpirunProcesses.Alone(environment, args);
        return (code, Lines(output));
    }

    /// <summary>Exactly one line, the error, on standard error with <paramref name="code"/>: no stack trace, nothing on standard output.</summary>
    public static string AssertOneError(CliResult run, int code)
    {
        Assert.True(run.ExitCode == code && run.Out.Length == 0, run.ToString());
        return AssertOneError((run.ExitCode, run.Err), code);
    }

    /// <summary>Exactly one line of output, the error, with <paramref name="code"/>.</summary>
    public static string AssertOneError((int ExitCode, string[] Lines) run, int code)
    {
        Assert.True(run.ExitCode == code, $"exit {run.ExitCode}: {string.Join('\n', run.Lines)}");
        string line = Assert.Single(run.Lines);
        Assert.StartsWith("error: ", line);
        return line["error: ".Length..];
    }

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
