using System.Diagnostics;
using System.Runtime.InteropServices;
using SimMim.Checkpoints;

namespace SimMim.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM make `simmim pretrain` finish the step in progress, write a checkpoint there and exit with
/// 128 + the signal number and one line saying where it saved. Runs the real program: signals are per process.
/// </summary>
[Trait("Category", "Slow")]
public class StopSignalTests
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [Theory]
    [InlineData(15, 143, "SIGTERM")]
    [InlineData(2, 130, "SIGINT")]
    public async Task ASignalFinishesTheStepSavesAndExitsWithOneLine(int signal, int exitCode, string name)
    {
        var (code, lines, metrics) = await RunAndSignal(signal, twice: false);

        Assert.Equal(exitCode, code);
        AssertSavedAndSaid(lines[^1], name, metrics);
    }

    [Fact]
    public async Task ASecondSignalSoonAfterIsAcknowledgedAndTheCheckpointStillWritten()
    {
        // A double Ctrl+C, 20 ms apart: apart enough to arrive as two signals (the kernel merges a pending repeat).
        var (code, lines, metrics) = await RunAndSignal(2, twice: true);

        Assert.Equal(130, code);
        Assert.Contains("received SIGINT again: still finishing the step and writing its checkpoint; a third signal stops at once, " +
                        "without it (the checkpoints already on disk stay intact)", lines);
        AssertSavedAndSaid(lines[^1], "SIGINT", metrics);

        // The rerun resumes at that checkpoint: every step in metrics.csv once, in order.
        string output = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(metrics)))!;
        using var rerun = Process.Start(Start(output, "--steps-per-epoch", (StepsIn(metrics) + 2).ToString(System.Globalization.CultureInfo.InvariantCulture)))!;
        var rerunOutput = rerun.StandardOutput.ReadToEndAsync();
        _ = rerun.StandardError.ReadToEndAsync();
        await rerun.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(rerun.ExitCode == 0, await rerunOutput);
        long[] steps = File.ReadAllLines(metrics).Skip(1).Select(l => long.Parse(l.Split(',')[2], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(Enumerable.Range(1, steps.Length).Select(i => (long)i), steps);
    }

    private static ProcessStartInfo Start(string output, params string[] more)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "SimMim.Cli"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "pretrain", "--output", output, "--threads", "1" }.Concat(more).Concat(["--opts", "TRAIN.EPOCHS", "1",
                     "DATA.BATCH_SIZE", "8", "DATA.IMG_SIZE", "32", "DATA.MASK_PATCH_SIZE", "8", "DATA.NUM_WORKERS", "1"]))
            start.ArgumentList.Add(arg);
        return start;
    }

    // Starts a run, signals it after its third step (twice: again 20 ms later), and returns its exit code and lines.
    private static async Task<(int ExitCode, string[] Lines, string Metrics)> RunAndSignal(int signal, bool twice)
    {
        string output = Directory.CreateTempSubdirectory("simmim-signal").FullName;
        string metrics = Path.Combine(output, "simmim_demo", "default", "metrics.csv");

        using var process = Process.Start(Start(output))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        while (StepsIn(metrics) < 3)
        {
            if (process.HasExited)
                Assert.Fail($"the run ended before it was signalled: {await stdout}{await stderr}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(5), "no training steps after 5 minutes");
            await Task.Delay(50);
        }
        Assert.Equal(0, kill(process.Id, signal));
        if (twice)
        {
            await Task.Delay(20);
            Assert.Equal(0, kill(process.Id, signal));
        }
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));

        Assert.Equal("", await stderr);
        return (process.ExitCode, (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), metrics);
    }

    private static void AssertSavedAndSaid(string last, string name, string metrics)
    {
        Assert.StartsWith($"interrupted by {name} after the current step; checkpoint ", last);
        Assert.EndsWith("; run the same command again to resume from it", last);
        const string Before = " after the current step; checkpoint ", After = "; run the same command";
        int from = last.IndexOf(Before, StringComparison.Ordinal) + Before.Length;
        string checkpoint = last[from..last.IndexOf(After, StringComparison.Ordinal)];
        Assert.True(File.Exists(checkpoint), checkpoint);
        // The checkpoint holds every step the run reported: the one in progress was finished, not dropped.
        Assert.Equal((long)StepsIn(metrics), Convert.ToInt64(TrainingCheckpoint.Read(checkpoint)["global_step"]));
    }

    private static int StepsIn(string metrics)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(metrics, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return Math.Max(0, reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
