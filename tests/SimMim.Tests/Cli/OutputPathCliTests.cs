using SimMim.IO;
using SimMim.Tests.IO;

namespace SimMim.Tests.Cli;

/// <summary>
/// Every verb that writes checks, before any work, that it can: an output that cannot be written is one line naming
/// it and why (exit 1), never a stack trace, and a verb reads no data or weights before the check (the inputs given
/// here are not even checkpoints).
/// </summary>
public class OutputPathCliTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-out-cli").FullName;

    public static TheoryData<string, string> RunFolderCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string verb in new[] { "pretrain", "finetune", "linprobe", "eval" })
            foreach (string bad in new[] { "under a file", "a file", "a long name", "read-only", "uncreatable" })
                data.Add(verb, bad);
        return data;
    }

    // The verb writing to OUTPUT/MODEL.NAME/TAG; eval's checkpoint is any file, as it is never read.
    private static string[] Verb(string verb, string output, params string[] opts)
    {
        string[] more = opts.Length > 0 ? ["--opts", .. opts] : [];
        return verb switch
        {
            "pretrain" => ["pretrain", "--output", output, .. more],
            "eval" => ["eval", "--cfg", CliRun.FinetuneConfig, "--resume", CliRun.FinetuneConfig, "--output", output, .. more],
            _ => [verb, "--cfg", CliRun.FinetuneConfig, "--output", output, .. more],
        };
    }

    [Theory]
    [MemberData(nameof(RunFolderCases))]
    public void ARunFolderThatCannotBeWrittenIsOneLine(string verb, string bad)
    {
        string dir = TempDir(), file = Path.Combine(dir, "afile");
        File.WriteAllText(file, "");
        string longName = Path.Combine(dir, new string('x', 300));
        var (readOnlyOutput, name, tag) = ReadOnlyFolder.AsRunFolder(ReadOnlyFolder.Create());
        string proc = ReadOnlyFolder.Uncreatable();
        var (args, expected) = bad switch
        {
            "under a file" => (Verb(verb, Path.Combine(file, "sub")), $"{file} is a file, not a folder"),
            "a file" => (Verb(verb, file), $"{file} is a file, not a folder"),
            "a long name" => (Verb(verb, longName), $"the name xxxxxxxxxxxxxxxxxxxxxxxx… is 300 bytes long, more than a file name may be (255)"),
            "read-only" => (Verb(verb, readOnlyOutput, "MODEL.NAME", name, "TAG", tag),
                $"cannot write to the run folder {Path.Combine(readOnlyOutput, name, tag)}: Permission denied"),
            _ => (Verb(verb, proc), "/proc does not take new folders"),
        };

        string error = CliRun.AssertOneError(CliRun.InProcess(args), 1);

        Assert.StartsWith(bad == "read-only" ? "cannot write to the run folder " : "cannot create the run folder ", error);
        Assert.Contains(expected, error);
        Assert.Equal(["afile"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    public static TheoryData<string, string> FileCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string verb in new[] { "reconstruct", "convert" })
            foreach (string bad in new[] { "under a file", "a folder", "a long name", "read-only", "uncreatable" })
                data.Add(verb, bad);
        return data;
    }

    [Theory]
    [MemberData(nameof(FileCases))]
    public void AnOutputFileThatCannotBeWrittenIsOneLine(string verb, string bad)
    {
        string dir = TempDir(), file = Path.Combine(dir, "afile");
        File.WriteAllText(file, "");
        string extension = verb == "reconstruct" ? ".png" : ".pth";
        string folder = Path.Combine(dir, "folder" + extension);
        Directory.CreateDirectory(folder);
        var (output, reason) = bad switch
        {
            "under a file" => (Path.Combine(file, "out" + extension), $"{file} is a file, not a folder"),
            "a folder" => (folder, "it is a folder, not a file"),
            "a long name" => (Path.Combine(dir, new string('x', 300) + extension), "is 304 bytes long, more than a file name may be (255)"),
            "read-only" => (Path.Combine(ReadOnlyFolder.Create(), "out" + extension), "Permission denied"),
            _ => (Path.Combine(ReadOnlyFolder.Uncreatable(), "out" + extension), "/proc does not take new folders"),
        };
        // The input is a file that is no checkpoint: the output is checked first.
        string[] args = verb == "reconstruct"
            ? ["reconstruct", "--checkpoint", file, "--output", output]
            : ["convert", file, output];

        string error = CliRun.AssertOneError(CliRun.InProcess(args), 1);

        Assert.StartsWith($"cannot write {(verb == "reconstruct" ? "the reconstruction grid" : "the converted weights")} {output}: ", error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void ATagOrModelNameThatLeavesTheOutputFolderIsRefusedNamingTheKey()
    {
        string root = TempDir(), output = Path.Combine(root, "out");
        // Before the check this was a whole (short) run, written to root/x.
        string error = CliRun.AssertOneError(CliRun.InProcess("pretrain", "--output", output, "--tag", "../../x", "--steps-per-epoch", "1",
            "--opts", "TRAIN.EPOCHS", "1"), 2);
        Assert.Equal("TAG must be a single folder name, but '../../x' holds a '/' (or NUL), which would put the run outside OUTPUT/MODEL.NAME/TAG", error);

        error = CliRun.AssertOneError(CliRun.InProcess(
            ["eval", "--cfg", CliRun.FinetuneConfig, "--resume", CliRun.FinetuneConfig, "--output", output, "--opts", "MODEL.NAME", ".."]), 2);
        Assert.StartsWith("MODEL.NAME must be a single folder name, but '..' names a folder above the run's", error);
        Assert.Empty(Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public void ASecondRunOnTheSameFolderIsRefusedNamingTheFirstsPid()
    {
        string output = TempDir();
        string runDir = Path.Combine(output, "simmim_demo", "default");
        Directory.CreateDirectory(runDir);
        using (RunLock.Acquire(runDir))
        {
            string error = CliRun.AssertOneError(CliRun.InProcess("pretrain", "--output", output, "--steps-per-epoch", "1",
                "--opts", "TRAIN.EPOCHS", "1"), 1);
            Assert.StartsWith($"the run folder {runDir} is in use by another run (pid {Environment.ProcessId} on host {Environment.MachineName}, started ", error);
        }
        Assert.Equal([RunLock.FileName], Directory.GetFileSystemEntries(runDir).Select(Path.GetFileName));
    }

    [Fact]
    public void WhereLocksAreNotEnforcedARunningHoldersPidStillKeepsTheFolder()
    {
        string output = TempDir();
        string runDir = Path.Combine(output, "simmim_demo", "default");
        Directory.CreateDirectory(runDir);
        // This test process is alive and on this host; without flock only its recorded pid can say so.
        File.WriteAllText(Path.Combine(runDir, RunLock.FileName), $"pid {Environment.ProcessId}\nhost {Environment.MachineName}\nstarted 2026-01-01 00:00:00 UTC\n");

        string error = CliRun.AssertOneError(CliRun.Alone(new Dictionary<string, string> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" },
            "pretrain", "--output", output, "--steps-per-epoch", "1", "--opts", "TRAIN.EPOCHS", "1"), 1);

        Assert.StartsWith($"the run folder {runDir} is in use by another run (pid {Environment.ProcessId} on host {Environment.MachineName}, started 2026-01-01 00:00:00 UTC)", error);
    }

    [Fact]
    public void BenchmarkSaysWhenItsTemporaryFolderCannotBeWritten()
    {
        // A process of its own: TMPDIR is process-wide.
        string error = CliRun.AssertOneError(CliRun.Alone(new Dictionary<string, string> { ["TMPDIR"] = "/sys" },
            "benchmark", "--steps", "1", "--warmup", "0", "--batch-size", "2", "--threads", "1"), 1);
        Assert.StartsWith("cannot create the temporary folder of sample images (TMPDIR, else /tmp) /sys/simmim-bench-images…: ", error);
    }
}
