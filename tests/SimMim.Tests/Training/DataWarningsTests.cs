using SimMim.Data;
using SimMim.Tests.Data;
using SimMim.Training;

namespace SimMim.Tests.Training;

public class DataWarningsTests
{
    [Fact]
    public void AFoldersWarningsReachTheRunOnceThroughItsSubsets()
    {
        using var dir = new DataTempDir();
        foreach (string cls in new[] { "a", "b" })
        {
            dir.CreateDirectory(cls);
            for (int i = 0; i < 4; i++)
                File.WriteAllText(dir.Combine(cls, $"{i}.png"), "listed by extension, decoded only when loaded");
        }
        File.WriteAllText(dir.Combine("a", "notes.txt"), "not an image");
        var folder = new ImageFolderDataset(dir.Path);
        var (kept, heldOut) = SubsetDataset.HoldOut(folder, 0.25, seed: 0);   // --holdout: both sides view one folder
        var recorder = new RunRecorder();
        using var log = RunLog.Discard();

        RunData.ReportWarnings(new RunReporter(log, recorder), kept, heldOut);

        Assert.Single(recorder.Messages, m => m.StartsWith("data: ignored 1 files that are not images") && m.Contains("notes.txt"));
    }
}
