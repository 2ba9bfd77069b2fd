using System.Diagnostics;
using SimMim.IO;

namespace SimMim.Tests.IO;

/// <summary>One run at a time per run folder: a second one is refused naming the first; a dead holder's lock is taken over.</summary>
public class RunLockTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-lock").FullName;

    [Fact]
    public void ASecondLockIsRefusedNamingTheHolder()
    {
        string dir = TempDir();
        using (var first = RunLock.Acquire(dir))
        {
            Assert.Null(first.StaleHolder);
            // flock locks belong to an open file, so a second open in this process is refused as another process's would be.
            var e = Assert.Throws<OutputException>(() => RunLock.Acquire(dir));
            Assert.StartsWith($"the run folder {dir} is in use by another run (pid {Environment.ProcessId} on host {Environment.MachineName}, started ", e.Message);
            Assert.EndsWith($"wait for it to end or choose another OUTPUT or TAG (lock file {Path.Combine(dir, RunLock.FileName)})", e.Message);
        }
        // Released: empty (it names no holder), and free for the next run.
        Assert.Equal("", File.ReadAllText(Path.Combine(dir, RunLock.FileName)));
        using var again = RunLock.Acquire(dir);
        Assert.Null(again.StaleHolder);
    }

    [Fact]
    public void TheLockOfARunThatDiedIsTakenOverAndNamed()
    {
        string dir = TempDir();
        using (var gone = Process.Start("/bin/true")!)
        {
            gone.WaitForExit();
            File.WriteAllText(Path.Combine(dir, RunLock.FileName), $"pid {gone.Id}\nhost {Environment.MachineName}\nstarted 2026-01-01 00:00:00 UTC\n");
            using var taken = RunLock.Acquire(dir);
            Assert.Equal($"pid {gone.Id} on host {Environment.MachineName}, started 2026-01-01 00:00:00 UTC", taken.StaleHolder);
            Assert.StartsWith($"pid {Environment.ProcessId}\nhost {Environment.MachineName}\n", ReadShared(Path.Combine(dir, RunLock.FileName)));
        }
    }

    // .NET takes a shared flock on every file it opens, which the holder's exclusive one refuses; cat takes none.
    private static string ReadShared(string path)
    {
        using var cat = Process.Start(new ProcessStartInfo("/bin/cat", [path]) { RedirectStandardOutput = true })!;
        string text = cat.StandardOutput.ReadToEnd();
        cat.WaitForExit();
        return text;
    }
}
