using SimMim.Training;

namespace SimMim.Tests.Training;

/// <summary>One channel: each event reaches log.txt, metrics.csv and every observer, as its kind says.</summary>
public class RunReporterTests
{
    [Fact]
    public void EventsFanOutToTheLogTheMetricsAndEveryObserver()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-reporter").FullName;
        var (a, b) = (new RunRecorder(), new RunRecorder());
        using (var log = new RunLog(Path.Combine(dir, "log.txt")))
        using (var metrics = MetricsFile.Open(Path.Combine(dir, "metrics.csv"), resumedStep: 0))
        {
            var reporter = new RunReporter(log, a);
            reporter.Add(b);
            reporter.Log("for the log alone");
            reporter.Message("for everyone");
            reporter.Warning(null);   // nothing to say
            reporter.StepFinished(new StepReport(0, 1, 4, 1, 0.5, 1e-3, 2.0, 100, TimeSpan.Zero), rssBytes: 7);   // before metrics: observers only
            reporter.AttachMetrics(metrics);
            reporter.StepFinished(new StepReport(0, 2, 4, 2, 0.25, 1e-3, 2.0, 100, TimeSpan.Zero), rssBytes: 7);
            reporter.EpochFinished(new EpochReport(0, 0.4, TimeSpan.FromSeconds(1), 100, 7, null, null, 50, 90, 50, ValLoss: 1.5),
                "epoch 0 done: the task's line");
        }

        foreach (var recorder in new[] { a, b })
        {
            Assert.Equal(["for everyone"], recorder.Messages);
            Assert.Equal([1L, 2L], recorder.Losses.Keys);
            Assert.Equal(1.5, Assert.Single(recorder.Epochs).ValLoss);
        }
        string[] logLines = File.ReadAllLines(Path.Combine(dir, "log.txt"));
        Assert.Equal(3, logLines.Length);
        Assert.EndsWith("] for the log alone", logLines[0]);
        Assert.EndsWith("] epoch 0 done: the task's line", logLines[2]);
        Assert.Equal([MetricsFile.Header, "0,2,2,0.25,0.001,2,100.00,7"], File.ReadAllLines(Path.Combine(dir, "metrics.csv")));
    }
}
