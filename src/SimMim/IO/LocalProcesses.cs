using System.Diagnostics;

namespace SimMim.IO;

/// <summary>Whether a process id recorded in a file (a temporary file's writer, a run folder's lock holder) still runs here.</summary>
internal static class LocalProcesses
{
    public static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
