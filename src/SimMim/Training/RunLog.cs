using System.Globalization;

namespace SimMim.Training;

/// <summary>The plain-text log beside the checkpoints: one timestamped line per event, flushed as written.</summary>
public sealed class RunLog : IDisposable
{
    private readonly StreamWriter _writer;

    public RunLog(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public void Write(string line) =>
        _writer.WriteLine($"[{DateTime.Now.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}] {line}");

    public void Dispose() => _writer.Dispose();
}
