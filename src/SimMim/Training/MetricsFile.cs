using System.Globalization;

namespace SimMim.Training;

/// <summary>Per-step numbers as CSV (loss curve, lr, grad norm, throughput, RSS) for plots and memory checks.</summary>
public sealed class MetricsFile : IDisposable
{
    private readonly TextWriter _writer;

    public MetricsFile(string path)
    {
        bool fresh = !File.Exists(path);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        if (fresh) _writer.WriteLine("epoch,step,global_step,loss,lr,grad_norm,images_per_second,rss_bytes");
    }

    private MetricsFile(TextWriter writer) => _writer = writer;

    /// <summary>A metrics file that keeps nothing: the ranks other than 0 of a data-parallel run.</summary>
    public static MetricsFile Discard() => new(TextWriter.Null);

    public void Step(int epoch, int step, long globalStep, double loss, double lr, double gradNorm, double imagesPerSecond, long rss)
    {
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{epoch},{step},{globalStep},{loss:G9},{lr:G6},{gradNorm:G6},{imagesPerSecond:F2},{rss}"));
        // Every row reaches the file: a run killed between checkpoints still shows its curve up to the kill.
        // G9 writes the float32 loss exactly, so a resumed run's losses can be compared with a straight run's.
        _writer.Flush();
    }

    public void Dispose() => _writer.Dispose();
}
