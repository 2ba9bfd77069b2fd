using Spectre.Console;

namespace SimMim.Cli;

/// <summary>
/// Standard error: error lines and warnings go here so that `2&gt;err.txt` captures them and standard output keeps
/// only results. Each is one line however long: Spectre wraps markup at the console width (80 when output is
/// redirected), which would split a message naming a long path across lines in a log.
/// </summary>
public sealed class ErrorConsole(IAnsiConsole console)
{
    /// <summary>Standard error as Spectre sees it (colours only on a terminal).</summary>
    public static ErrorConsole Standard() =>
        new(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) }));

    public IAnsiConsole Console => console;

    /// <summary>"error: MESSAGE", for a run that stops.</summary>
    public void Error(string message) => Write("[red]error:[/] ", message);

    /// <summary>"warning: MESSAGE", for something the run survived.</summary>
    public void Warning(string message) => Write("[yellow]warning:[/] ", message);

    private void Write(string prefix, string message)
    {
        console.Markup(prefix);
        console.Profile.Out.Writer.WriteLine(message);
    }
}
