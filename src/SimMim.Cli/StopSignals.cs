using System.Runtime.InteropServices;
using Spectre.Console;

namespace SimMim.Cli;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM ask a training run to stop after its current step and write a checkpoint there,
/// instead of killing it between checkpoints. A second signal is only acknowledged: a double Ctrl+C, or a launcher
/// that passes on the signal the terminal already sent, would otherwise end the process before that checkpoint. A
/// third is left to its default action and ends the process at once; the checkpoints on disk are safe either way
/// (writes are atomic).
/// </summary>
public sealed class StopSignals : IDisposable
{
    /// <summary>128 + the signal number, as shells report a process a signal ended.</summary>
    public const int InterruptExitCode = 130;

    /// <inheritdoc cref="InterruptExitCode"/>
    public const int TerminateExitCode = 143;

    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly IAnsiConsole _console;
    private int _count;
    private PosixSignal _first;

    /// <param name="console">Where the second signal is acknowledged.</param>
    public StopSignals(IAnsiConsole console)
    {
        _console = console;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The name of the first signal received.</summary>
    public string SignalName => _first == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";

    /// <summary>The exit code of a run the first signal stopped.</summary>
    public int ExitCode => _first == PosixSignal.SIGTERM ? TerminateExitCode : InterruptExitCode;

    /// <summary>
    /// The one line a stopped run prints: the signal and where it saved (or why it could not). Written past Spectre's
    /// wrapping so that a long path keeps it one line.
    /// </summary>
    public void Report(IAnsiConsole console, string? checkpoint, string? saveFailure)
    {
        console.Markup($"[yellow]interrupted by {SignalName}[/] ");
        console.Profile.Out.Writer.WriteLine("after the current step; " +
            (saveFailure ?? $"checkpoint {checkpoint}; run the same command again to resume from it"));
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        switch (Interlocked.Increment(ref _count))
        {
            case 1:
                _first = context.Signal;
                context.Cancel = true;
                _source.Cancel();
                break;
            case 2:
                context.Cancel = true;
                // Raw, like Report: the writer of the real console is synchronised, and this runs on the signal's thread.
                _console.Profile.Out.Writer.WriteLine(
                    $"received {(context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT")} again: still finishing the step and writing " +
                    "its checkpoint; a third signal stops at once, without it (the checkpoints already on disk stay intact)");
                break;
        }
    }
}
