using System.Runtime.InteropServices;

namespace SimMim.Checkpoints;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new one, never a torn file: write to a
/// temporary file beside the target, flush to the device, rename over the target, then flush the directory so the
/// rename itself survives a power cut. A process killed part-way leaves only its temporary file behind (see
/// <see cref="TemporaryPath(string)"/>), which readers of the directory ignore.
/// </summary>
public static class AtomicFile
{
    /// <exception cref="IOException">The write failed (full disk, I/O error); the previous file is untouched.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory or temporary file is not writable; likewise.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        string temporary = TemporaryPath(full);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        FlushDirectory(directory);
    }

    /// <summary>The temporary file a write to <paramref name="fullPath"/> by this process goes through.</summary>
    public static string TemporaryPath(string fullPath) => TemporaryPath(fullPath, Environment.ProcessId);

    /// <summary>The temporary file a write to <paramref name="fullPath"/> by process <paramref name="processId"/> goes through.</summary>
    public static string TemporaryPath(string fullPath, int processId) =>
        Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{processId}.tmp");

    /// <summary>The process that wrote <paramref name="fileName"/>, when it is one of our temporary files.</summary>
    public static int? TemporaryOwner(string fileName)
    {
        if (!fileName.StartsWith('.') || !fileName.EndsWith(".tmp", StringComparison.Ordinal)) return null;
        string[] parts = fileName[..^".tmp".Length].Split('.');
        return parts.Length >= 3 && int.TryParse(parts[^1], out int pid) ? pid : null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original error is the one worth reporting.
        }
    }

    // fsync(2) on the directory makes the rename durable (rename(2) alone may sit in the page cache); best effort,
    // because the new file is already complete and in place.
    private static void FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return;
        _ = fsync(fd);
        _ = close(fd);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
