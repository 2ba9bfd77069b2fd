using System.Globalization;
using SimMim.IO;

namespace SimMim.Checkpoints;

/// <summary>
/// The training checkpoints of a run directory: their names, their order, pruning to the newest K, and the
/// temporary files of killed writers. <c>ckpt_epoch_E.pth</c> is written after epoch E (the reference's name);
/// <c>ckpt_epoch_E_step_S.pth</c> after S steps of epoch E (a mid-epoch checkpoint).
/// </summary>
public static class CheckpointFiles
{
    public const string Prefix = "ckpt_epoch_";
    private const string StepInfix = "_step_";

    public static string EpochEnd(int epoch) => $"{Prefix}{epoch}.pth";

    public static string MidEpoch(int epoch, int stepInEpoch) => $"{Prefix}{epoch}{StepInfix}{stepInEpoch}.pth";

    /// <summary>
    /// Where in the run a checkpoint name stands, as (epoch in progress, steps done in it): after epoch E is (E+1, 0),
    /// S steps into epoch E is (E, S). Null for any other name.
    /// </summary>
    public static (int Epoch, int Step)? Position(string fileName)
    {
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal) || !fileName.EndsWith(".pth", StringComparison.Ordinal))
            return null;
        string middle = fileName[Prefix.Length..^".pth".Length];
        int split = middle.IndexOf(StepInfix, StringComparison.Ordinal);
        if (split < 0)
            return Number(middle) is int epoch ? (epoch + 1, 0) : null;
        return Number(middle[..split]) is int e && Number(middle[(split + StepInfix.Length)..]) is int s && s > 0 ? (e, s) : null;

        static int? Number(string text) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    /// <summary>The checkpoints in <paramref name="directory"/>, newest first; none when it does not exist.</summary>
    public static IReadOnlyList<string> NewestFirst(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        return Directory.EnumerateFiles(directory, $"{Prefix}*.pth")
            .Select(path => (path, position: Position(Path.GetFileName(path))))
            .Where(c => c.position is not null)
            .OrderByDescending(c => c.position!.Value.Epoch)
            .ThenByDescending(c => c.position!.Value.Step)
            .Select(c => c.path)
            .ToList();
    }

    /// <summary>
    /// Deletes the checkpoints older than the <paramref name="keep"/> newest that are not newer than
    /// <paramref name="written"/>. Newer ones (left by an earlier attempt of this run, which a resume went back
    /// behind) are not counted or touched: they will be overwritten as the run gets there again.
    /// </summary>
    /// <returns>The files deleted.</returns>
    public static IReadOnlyList<string> Prune(string directory, int keep, string written)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var limit = Position(Path.GetFileName(written)) ?? throw new ArgumentException($"not a checkpoint name: {written}", nameof(written));
        var deleted = new List<string>();
        foreach (string old in NewestFirst(directory)
                     .Where(p => Position(Path.GetFileName(p)) is { } position && position.CompareTo(limit) <= 0)
                     .Skip(keep))
        {
            File.Delete(old);
            deleted.Add(old);
        }
        return deleted;
    }

    /// <summary>Deletes the temporary files of checkpoint writers that are no longer running (killed mid-write).</summary>
    /// <returns>The files deleted.</returns>
    public static IReadOnlyList<string> DeleteStaleTemporaries(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var deleted = new List<string>();
        foreach (string path in Directory.EnumerateFiles(directory, $".{Prefix}*.tmp"))
        {
            if (AtomicFile.TemporaryOwner(Path.GetFileName(path)) is int pid && !LocalProcesses.IsRunning(pid))
            {
                File.Delete(path);
                deleted.Add(path);
            }
        }
        return deleted;
    }
}
