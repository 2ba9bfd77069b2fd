using System.Text;
using SimMim.Checkpoints;

namespace SimMim.IO;

/// <summary>
/// The one place that decides what a file-system failure on a user-facing path means. Every input the user names
/// (configs, checkpoints, data, images) is checked or opened, and every output (run folders, log.txt, metrics.csv,
/// config.yaml, checkpoints, eval.json, reconstruction grids, converted weights) is created or written, through these
/// methods. A failure becomes one <see cref="SimMimUserException"/> line naming the path, what it was for and why. The
/// why comes from looking at the path where .NET's exception would mislead: writing to a folder reports "Access to the
/// path is denied", a file in place of a folder "Could not find a part of the path".
/// </summary>
/// <remarks>
/// Names that are not valid UTF-8: .NET decodes command-line arguments and listed file names as UTF-8, replacing
/// invalid bytes by U+FFFD, and encodes paths back as UTF-8, so it can neither name nor open such a file (U+FFFD is
/// written as the bytes EF BF BD). A missing path holding U+FFFD says so; the CLI refuses such arguments outright.
/// </remarks>
public static class UserPaths
{
    /// <summary>Longest name of one file or folder Linux file systems take (NAME_MAX), in bytes of UTF-8.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Longest path the kernel takes (PATH_MAX, with the terminating NUL), in bytes of UTF-8.</summary>
    public const int MaxPathBytes = 4096;

    // errno EWOULDBLOCK (Linux), the HResult .NET gives the IOException for a file another open file has locked.
    private const int WouldBlock = 11;

    /// <summary>The file <see cref="EnsureWritableDirectory"/> creates and deletes, with this process's id after it.</summary>
    public const string ProbePrefix = ".simmim-write-check.";

    /// <summary>Why <paramref name="path"/> cannot be read as a file ("not found", "is a folder, not a file", …); null when it is an existing file.</summary>
    public static string? FileProblem(string path)
    {
        if (File.Exists(path)) return null;
        return Directory.Exists(path) ? "is a folder, not a file" : NotFound(path);
    }

    /// <summary>Checks that <paramref name="path"/> is an existing file (not a folder).</summary>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="what">What it is for, as the message names it ("config file", "checkpoint to resume from").</param>
    /// <param name="kind">Which error to throw.</param>
    /// <param name="referencedFrom">Where the path was named (a file:line), when not on the command line.</param>
    /// <exception cref="SimMimUserException">Of <paramref name="kind"/>: "{path}: {what} not found", "… is a folder, not a file";
    /// with <paramref name="referencedFrom"/>: "{referencedFrom}: {what} not found: {path}".</exception>
    public static void RequireFile(string path, string what, InputKind kind, string? referencedFrom = null)
    {
        if (FileProblem(path) is { } problem)
            throw InputError(kind, referencedFrom is null ? $"{path}: {what} {problem}" : $"{referencedFrom}: {what} {problem}: {path}");
    }

    /// <summary>Checks that <paramref name="path"/> exists, as a file or a folder (a data path may be either).</summary>
    /// <exception cref="SimMimUserException">Of <paramref name="kind"/>: "{path}: {what} not found".</exception>
    public static void RequireExists(string path, string what, InputKind kind)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            throw InputError(kind, $"{path}: {what} {NotFound(path)}");
    }

    /// <summary>Checks that <paramref name="path"/> is an existing folder.</summary>
    /// <exception cref="SimMimUserException">Of <paramref name="kind"/>: "{path}: {what} not found", "… is a file, not a folder".</exception>
    public static void RequireDirectory(string path, string what, InputKind kind)
    {
        if (Directory.Exists(path)) return;
        throw InputError(kind, $"{path}: {what} {(File.Exists(path) ? "is a file, not a folder" : NotFound(path))}");
    }

    /// <summary>Opens an input file for reading.</summary>
    /// <exception cref="SimMimUserException">Of <paramref name="kind"/>: missing, a folder, or unreadable (the reason given).</exception>
    public static FileStream OpenRead(string path, string what, InputKind kind) =>
        Read(path, what, kind, () => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read));

    /// <inheritdoc cref="OpenRead"/>
    public static byte[] ReadAllBytes(string path, string what, InputKind kind) => Read(path, what, kind, () => File.ReadAllBytes(path));

    /// <inheritdoc cref="OpenRead"/>
    public static string ReadAllText(string path, string what, InputKind kind) => Read(path, what, kind, () => File.ReadAllText(path));

    /// <summary>Checks that <paramref name="value"/>, the value of config key <paramref name="key"/>, can be one folder name of the output path.</summary>
    /// <exception cref="ConfigException">Empty, "." or "..", holds '/' or NUL, or longer than <see cref="MaxNameBytes"/>.</exception>
    public static void RequireFolderName(string value, string key)
    {
        ArgumentNullException.ThrowIfNull(value);
        string? problem = value.Length == 0 ? "is empty"
            : value is "." or ".." ? "names a folder above the run's"
            : value.IndexOfAny(['/', '\0']) >= 0 ? "holds a '/' (or NUL), which would put the run outside OUTPUT/MODEL.NAME/TAG"
            : Encoding.UTF8.GetByteCount(value) > MaxNameBytes ? $"is {Encoding.UTF8.GetByteCount(value)} bytes long, more than a file name may be ({MaxNameBytes})"
            : null;
        if (problem is not null)
            throw new ConfigException($"{key} must be a single folder name, but '{value}' {problem}");
    }

    /// <summary>Creates the folder <paramref name="path"/> and its parents, where missing.</summary>
    /// <exception cref="OutputException">"cannot create {what} {path}: {reason}".</exception>
    public static void CreateDirectory(string path, string what)
    {
        if (ShapeProblem(path) is { } shape)
            throw Output("create", what, path, shape);
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception e) when (IsFileSystemError(e))
        {
            throw Output("create", what, path, CreateReason(path, e), e);
        }
    }

    /// <summary>
    /// Creates the folder <paramref name="path"/> where missing and checks that this process can create and delete a
    /// file in it: a read-only mount or another user's folder fails here, before any work, not at the first save.
    /// </summary>
    /// <exception cref="OutputException">"cannot create {what} {path}: …" or "cannot write to {what} {path}: …".</exception>
    public static void EnsureWritableDirectory(string path, string what)
    {
        CreateDirectory(path, what);
        string probe = Path.Combine(path, ProbePrefix + Environment.ProcessId);
        try
        {
            new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None).Dispose();
            File.Delete(probe);
        }
        catch (Exception e) when (IsFileSystemError(e))
        {
            throw Output("write to", what, path, Reason(e), e);
        }
    }

    /// <summary>
    /// Checks, without creating it, that a file can be written at <paramref name="path"/>: it is not a folder, its
    /// names are legal, and its folder exists (or is created) and takes new files.
    /// </summary>
    /// <exception cref="OutputException">"cannot write {what} {path}: {reason}".</exception>
    public static void EnsureWritableFile(string path, string what)
    {
        if (FileTargetProblem(path) is { } problem)
            throw Output("write", what, path, problem);
        try
        {
            EnsureWritableDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!, "its folder");
        }
        catch (OutputException e)
        {
            throw Output("write", what, path, e.Reason, e);
        }
    }

    /// <summary>Writes the file <paramref name="path"/> in place (created or emptied first): for scratch files, which nothing reads half-written.</summary>
    /// <exception cref="OutputException">"cannot write {what} {path}: {reason}".</exception>
    public static void WriteFile(string path, string what, Action<Stream> write) => WriteTo(path, what, () =>
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        write(stream);
        return true;
    });

    /// <summary>
    /// Opens <paramref name="path"/> to append to it (created when missing), positioned at its end; readable, so a
    /// writer can look at what is there (a line cut short by a killed run).
    /// </summary>
    /// <exception cref="OutputException">"cannot write {what} {path}: {reason}".</exception>
    public static FileStream OpenAppend(string path, string what) => WriteTo(path, what, () =>
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        stream.Seek(0, SeekOrigin.End);
        return stream;
    });

    /// <summary>
    /// Opens <paramref name="path"/> (created when missing) for reading and writing under an exclusive advisory lock:
    /// flock(2) LOCK_EX, which .NET takes for <see cref="FileShare.None"/> and the kernel drops when the process ends.
    /// </summary>
    /// <returns>The open file, or null when another open file holds the lock (another process, or this one).</returns>
    /// <exception cref="OutputException">"cannot write {what} {path}: {reason}".</exception>
    public static FileStream? TryOpenExclusive(string path, string what) => WriteTo(path, what, () =>
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e.GetType() == typeof(IOException) && e.HResult == WouldBlock)
        {
            return null;
        }
    });

    /// <summary>The text of an output file this program wrote earlier (to rewrite it), or null when there is none.</summary>
    /// <exception cref="OutputException">"cannot read {what} {path}: {reason}".</exception>
    public static string? ReadOutput(string path, string what)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (Exception e) when (IsFileSystemError(e))
        {
            throw Output("read", what, path, Reason(e), e);
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> so that it holds either its old content or all of the new one (see
    /// <see cref="AtomicFile"/>); its folder is created when missing.
    /// </summary>
    /// <exception cref="OutputException">"cannot write {what} {path}: {reason}"; the previous file is untouched.</exception>
    public static void ReplaceAtomically(string path, string what, Action<Stream> write) => WriteTo(path, what, () =>
    {
        AtomicFile.Write(path, write);
        return true;
    }, e => ShapeProblem(path) ?? Reason(e));

    /// <summary>Runs <paramref name="write"/> on a file target, turning a file-system failure into "cannot write {what} {path}: {reason}".</summary>
    private static T WriteTo<T>(string path, string what, Func<T> write, Func<Exception, string>? reason = null)
    {
        if (FileTargetProblem(path) is { } problem)
            throw Output("write", what, path, problem);
        try
        {
            return write();
        }
        catch (Exception e) when (IsFileSystemError(e))
        {
            throw Output("write", what, path, reason is null ? Reason(e) : reason(e), e);
        }
    }

    /// <summary>A new, empty folder under the temporary folder (TMPDIR, else /tmp).</summary>
    /// <exception cref="OutputException">"cannot create {what} {TMPDIR}/{prefix}…: {reason}".</exception>
    public static string CreateTemporaryDirectory(string prefix, string what)
    {
        try
        {
            return Directory.CreateTempSubdirectory(prefix).FullName;
        }
        catch (Exception e) when (IsFileSystemError(e))
        {
            string temp = Path.GetTempPath();
            string reason = ShapeProblem(temp)
                ?? (File.Exists(Path.TrimEndingDirectorySeparator(temp)) ? $"{temp} is a file, not a folder"
                    : !Directory.Exists(temp) ? $"{temp} does not exist" : $"{Reason(e)} (in {temp})");
            throw Output("create", what, Path.Combine(temp, prefix + "…"), reason, e);
        }
    }

    /// <summary>The errors the file system gives for a path it cannot use. A file cut short (EndOfStream) is a content error, not among them.</summary>
    private static bool IsFileSystemError(Exception e) =>
        e is (IOException and not EndOfStreamException) or UnauthorizedAccessException or NotSupportedException;

    private static T Read<T>(string path, string what, InputKind kind, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (IsFileSystemError(e))
        {
            string problem = Directory.Exists(path) ? "is a folder, not a file"
                : e is FileNotFoundException or DirectoryNotFoundException ? NotFound(path)
                : $"cannot be read ({Reason(e)})";
            throw InputError(kind, $"{path}: {what} {problem}", e);
        }
    }

    private static SimMimUserException InputError(InputKind kind, string message, Exception? inner = null) => kind switch
    {
        InputKind.Config => new ConfigException(message, inner),
        InputKind.Checkpoint => new CheckpointException(message, inner),
        InputKind.Data => new DataException(message, inner),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static OutputException Output(string action, string what, string path, string reason, Exception? inner = null) =>
        new($"cannot {action} {what} {path}: {reason}", reason, inner);

    private static string NotFound(string path)
    {
        if (ShapeProblem(path) is { } shape) return $"not found: {shape}";
        if (LinkTarget(path) is { } target) return $"not found: it is a symbolic link to {target}, which does not exist";
        return path.Contains('\uFFFD')
            ? "not found; its name holds U+FFFD, which is what .NET makes of bytes that are not UTF-8: such a file cannot be opened from here, rename it"
            : "not found";
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (IsFileSystemError(e))
        {
            return null;
        }
    }

    /// <summary>
    /// What is wrong with the path itself, whatever the operation: a NUL, a name or the whole path too long, or a
    /// file where one of its folders should be. Null when none of these.
    /// </summary>
    private static string? ShapeProblem(string path)
    {
        if (path.Length == 0) return "the path is empty";
        if (path.Contains('\0')) return "it holds a NUL character";
        string full = Path.GetFullPath(path);
        foreach (string name in full.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            int bytes = Encoding.UTF8.GetByteCount(name);
            if (bytes > MaxNameBytes)
                return $"the name {name[..Math.Min(name.Length, 24)]}… is {bytes} bytes long, more than a file name may be ({MaxNameBytes})";
        }
        int pathBytes = Encoding.UTF8.GetByteCount(full);
        if (pathBytes >= MaxPathBytes)
            return $"the path is {pathBytes} bytes long, more than the system takes ({MaxPathBytes - 1})";
        for (string? folder = Path.GetDirectoryName(full); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (Directory.Exists(folder)) break;
            if (File.Exists(folder)) return $"{folder} is a file, not a folder";
        }
        return null;
    }

    private static string? FileTargetProblem(string path) =>
        ShapeProblem(path) ?? (Directory.Exists(path) ? "it is a folder, not a file" : null);

    private static string CreateReason(string path, Exception e)
    {
        if (ShapeProblem(path) is { } shape) return shape;
        // mkdir(2) in /proc gives ENOENT although the parent exists, which .NET reports as a missing file.
        string? existing = DeepestExisting(path);
        if (e is FileNotFoundException or DirectoryNotFoundException && existing is not null)
            return $"{existing} does not take new folders (a virtual or read-only file system?)";
        return existing is null ? Reason(e) : $"{Reason(e)} (creating it in {existing})";
    }

    private static string? DeepestExisting(string path)
    {
        for (string? folder = Path.GetFullPath(path); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (Directory.Exists(folder)) return folder;
        }
        return null;
    }

    /// <summary>The operating system's reason: "Permission denied", "Read-only file system", "No space left on device : '…'".</summary>
    private static string Reason(Exception e) => e switch
    {
        // .NET's own message repeats the path ("Access to the path '…' is denied"); the inner one is strerror's.
        UnauthorizedAccessException { InnerException: IOException inner } => inner.Message,
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
