using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace SimMim.IO;

/// <summary>
/// Keeps a second run out of a run folder this one writes to (two writers tear metrics.csv and log.txt lines and
/// overwrite each other's checkpoints): the file <see cref="FileName"/> in the folder, held open under an exclusive
/// advisory lock for the whole run and naming its holder (pid, host, start time). The kernel drops the lock when its
/// holder ends, however it ends, so the file a killed run leaves is taken over. Where locks are not enforced (a file
/// system without them, or DOTNET_SYSTEM_IO_DISABLEFILELOCKING set), the recorded pid decides instead: a holder still
/// running on this host keeps the folder; one that is gone is stale.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = ".simmim.lock";

    private const string What = "the run folder's lock file";

    private readonly FileStream _stream;

    private RunLock(FileStream stream, string? staleHolder)
    {
        _stream = stream;
        StaleHolder = staleHolder;
    }

    /// <summary>The holder a stale lock file named (a run that ended without releasing it: killed or crashed); null when the folder was free.</summary>
    public string? StaleHolder { get; }

    /// <summary>Locks the existing folder <paramref name="directory"/> for this process.</summary>
    /// <exception cref="OutputException">Another run that is still going holds it (the message names its pid, host and
    /// start), or the lock file cannot be written.</exception>
    public static RunLock Acquire(string directory)
    {
        string path = Path.Combine(directory, FileName);
        FileStream stream = UserPaths.TryOpenExclusive(path, What)
            ?? throw InUse(directory, path, Holder.Parse(ReadUnlocked(path)), "");
        try
        {
            var previous = Holder.Parse(new StreamReader(stream, Encoding.UTF8, leaveOpen: true).ReadToEnd());
            // A second exclusive open in this process succeeds only where locks are not enforced.
            using var second = UserPaths.TryOpenExclusive(path, What);
            if (second is not null && previous is { } holder && holder.Pid != Environment.ProcessId)
            {
                if (holder.Host != Environment.MachineName)
                    throw InUse(directory, path, holder, "; locks are not enforced on this file system and a process on another host cannot be checked, so delete the lock file if that run is over");
                if (LocalProcesses.IsRunning(holder.Pid))
                    throw InUse(directory, path, holder, "");
            }
            stream.SetLength(0);
            stream.Position = 0;
            stream.Write(Encoding.UTF8.GetBytes(Holder.Current().ToString()));
            stream.Flush(flushToDisk: true);
            return new RunLock(stream, previous?.Describe());
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Empties the lock file (an empty one names no holder) and releases the lock; the file stays, so that
    /// no second run can lock a file the next one no longer sees.</summary>
    public void Dispose()
    {
        try
        {
            _stream.SetLength(0);
        }
        catch (IOException)
        {
            // The lock goes with the file handle either way; a holder left in the file reads as stale next time.
        }
        _stream.Dispose();
    }

    private static OutputException InUse(string directory, string path, Holder? holder, string more)
    {
        string who = holder?.Describe() ?? "another process";
        return new OutputException(
            $"the run folder {directory} is in use by another run ({who}){more}; wait for it to end or choose another OUTPUT or TAG (lock file {path})",
            $"in use by {who}");
    }

    // .NET puts a shared flock on every file it opens, which the holder's exclusive lock refuses; read(2) reads past it.
    // Only for the message: an unreadable file gives "" (the holder is then "another process").
    private static string ReadUnlocked(string path)
    {
        int fd = open(path, 0 /* O_RDONLY */);
        if (fd < 0) return "";
        try
        {
            var buffer = new byte[1024];
            nint count = read(fd, buffer, buffer.Length);
            return count > 0 ? Encoding.UTF8.GetString(buffer, 0, (int)count) : "";
        }
        finally
        {
            _ = close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    /// <summary>Who holds a lock, as the lock file records it: "pid N", "host H", "started T" lines.</summary>
    private sealed record Holder(int Pid, string Host, string Started)
    {
        public static Holder Current() =>
            new(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));

        public static Holder? Parse(string text)
        {
            var fields = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => line.Split(' ', 2))
                .Where(parts => parts.Length == 2)
                .GroupBy(parts => parts[0])
                .ToDictionary(g => g.Key, g => g.First()[1]);
            return fields.TryGetValue("pid", out string? pid) && int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                ? new Holder(id, fields.GetValueOrDefault("host", "?"), fields.GetValueOrDefault("started", "?"))
                : null;
        }

        public string Describe() => $"pid {Pid} on host {Host}, started {Started}";

        public override string ToString() => $"pid {Pid}\nhost {Host}\nstarted {Started}\n";
    }
}
