using System.Globalization;
using System.Text;
using SimMim.IO;

namespace SimMim.Training;

/// <summary>Per-step numbers as CSV (loss curve, lr, grad norm, throughput, RSS) for plots and memory checks.</summary>
public sealed class MetricsFile : IDisposable
{
    public const string Header = "epoch,step,global_step,loss,lr,grad_norm,images_per_second,rss_bytes";

    private const string What = "the metrics file";

    private readonly TextWriter _writer;

    private MetricsFile(TextWriter writer) => _writer = writer;

    /// <summary>
    /// Opens <paramref name="path"/> to append the steps after <paramref name="resumedStep"/> (0 for a run that starts
    /// afresh). Rows after that step are dropped first: a run killed or interrupted after its last checkpoint logged
    /// steps this run does again. So are rows cut short, and the header is restored, so that the file reads as one
    /// series however often the run was stopped (the rewrite is atomic).
    /// </summary>
    /// <exception cref="OutputException">The file cannot be read or written.</exception>
    public static MetricsFile Open(string path, long resumedStep)
    {
        string? existing = UserPaths.ReadOutput(path, What);
        string series = Header + "\n" + string.Concat(Series(existing ?? "", resumedStep).Select(row => row + "\n"));
        if (existing != series)
            UserPaths.ReplaceAtomically(path, What, stream => stream.Write(Encoding.UTF8.GetBytes(series)));
        return new MetricsFile(new StreamWriter(UserPaths.OpenAppend(path, What)));
    }

    /// <summary>A metrics file that keeps nothing: the ranks other than 0 of a data-parallel run.</summary>
    public static MetricsFile Discard() => new(TextWriter.Null);

    /// <summary>
    /// The complete rows of <paramref name="text"/> up to global step <paramref name="resumedStep"/>, each step once
    /// and in order: a row for a step at or before an earlier row's (written by a run that resumed behind it) replaces
    /// that row and those after it, as the later run's values are the ones its checkpoints carry on from.
    /// </summary>
    internal static IReadOnlyList<string> Series(string text, long resumedStep)
    {
        var rows = new List<(long Step, string Line)>();
        string[] lines = text.Split('\n');
        // The last element is what follows the final newline: empty, or a row a killed writer cut short.
        foreach (string line in lines.Take(lines.Length - 1))
        {
            string[] fields = line.Split(',');
            if (fields.Length != 8 || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long step)
                || step > resumedStep)
                continue;
            while (rows.Count > 0 && rows[^1].Step >= step) rows.RemoveAt(rows.Count - 1);
            rows.Add((step, line));
        }
        return rows.Select(row => row.Line).ToList();
    }

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
