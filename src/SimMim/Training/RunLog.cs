using System.Globalization;
using SimMim.IO;

namespace SimMim.Training;

/// <summary>The plain-text log beside the checkpoints: one timestamped line per event, flushed as written.</summary>
public sealed class RunLog : IDisposable
{
    private readonly TextWriter _writer;

    /// <exception cref="OutputException">The file cannot be opened for writing.</exception>
    public RunLog(string path)
    {
        FileStream stream = UserPaths.OpenAppend(path, "the run's log");
        // A run killed in the middle of a line left it without its end: the next line starts on a line of its own.
        bool cut = stream.Length > 0 && LastByte(stream) != '\n';
        _writer = new StreamWriter(stream) { AutoFlush = true };
        if (cut) _writer.WriteLine();
    }

    private RunLog(TextWriter writer) => _writer = writer;

    /// <summary>A log that keeps nothing: the ranks other than 0 of a data-parallel run.</summary>
    public static RunLog Discard() => new(TextWriter.Null);

    public void Write(string line) =>
        _writer.WriteLine($"[{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}] {line}");

    public void Dispose() => _writer.Dispose();

    private static int LastByte(FileStream stream)
    {
        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte();
    }
}
