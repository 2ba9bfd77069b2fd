using System.Globalization;

namespace SimMim.Training;

/// <summary>The plain-text log beside the checkpoints: one timestamped line per event, flushed as written.</summary>
public sealed class RunLog : IDisposable
{
    private readonly TextWriter _writer;

    public RunLog(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    private RunLog(TextWriter writer) => _writer = writer;

    /// <summary>A log that keeps nothing: the ranks other than 0 of a data-parallel run.</summary>
    public static RunLog Discard() => new(TextWriter.Null);

    public void Write(string line) =>
        _writer.WriteLine($"[{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}] {line}");

    public void Dispose() => _writer.Dispose();
}
