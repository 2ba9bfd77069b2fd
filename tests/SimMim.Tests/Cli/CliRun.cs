using SimMim.Cli;
using SimMim.Tests.Distributed;
using Spectre.Console.Testing;

namespace SimMim.Tests.Cli;

/// <summary>`simmim` in this process (a test console as wide as a redirected one) or as a process of its own.</summary>
internal static class CliRun
{
    /// <summary>The finetune config shipped beside the program; its data path is never read by the tests that fail first.</summary>
    public static string FinetuneConfig => Path.Combine(AppContext.BaseDirectory, "configs", "fashion_mnist_finetune_vit_tiny.yaml");

    public static (int ExitCode, string[] Lines) InProcess(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 80;
        int code = SimMimApp.Run(args, console);
        return (code, console.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>The built program as a child process, with extra environment variables.</summary>
    public static (int ExitCode, string[] Lines) Alone(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var (code, output) = MpirunProcesses.Alone(environment, args);
        return (code, output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>Exactly one line, the error, with <paramref name="code"/>: no stack trace, no other output.</summary>
    public static string AssertOneError((int ExitCode, string[] Lines) run, int code)
    {
        Assert.True(run.ExitCode == code, $"exit {run.ExitCode}: {string.Join('\n', run.Lines)}");
        string line = Assert.Single(run.Lines);
        Assert.StartsWith("error: ", line);
        return line["error: ".Length..];
    }
}
