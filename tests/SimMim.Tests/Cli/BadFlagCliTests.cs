using System.Diagnostics;

namespace SimMim.Tests.Cli;

/// <summary>
/// A bad flag is one line on standard error naming the flag and what it expected, with exit code 2, before anything
/// runs; standard output stays free of errors.
/// </summary>
public class BadFlagCliTests
{
    private static string OneErrorLine(params string[] args)
    {
        var result = CliRun.Run(80, args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(result.Out.Length == 0, result.ToString());
        string line = Assert.Single(result.Err);
        Assert.StartsWith("error: ", line);
        return line["error: ".Length..];
    }

    [Theory]
    [InlineData("--batch-size: 'abc' is not an integer", "pretrain", "--batch-size", "abc")]
    [InlineData("--batch-size: '2147483648' is out of range (an integer from -2147483648 to 2147483647)", "pretrain", "--batch-size", "2147483648")]
    [InlineData("--steps: '1.5' is not an integer", "benchmark", "--steps", "1.5")]
    [InlineData("--label-fraction: 'abc' is not a number", "finetune", "--label-fraction", "abc")]
    [InlineData("--holdout: 'NaN' is not a finite number", "eval", "--holdout", "NaN")]
    [InlineData("--holdout: 'inf' is not a number", "finetune", "--holdout", "inf")]
    [InlineData("--img-size: '' is not an integer", "convert", "a.pth", "b.pth", "--img-size", "")]
    [InlineData("--seed: 'x' is not an integer", "reconstruct", "--seed=x")]
    public void AValueOfTheWrongTypeNamesTheFlagAndTheType(string expected, params string[] args)
    {
        Assert.Equal(expected, OneErrorLine(args));
    }

    [Theory]
    [InlineData("--cfg needs a value: --cfg <FILE>", "pretrain", "--cfg")]
    [InlineData("--cfg needs a value: --cfg <FILE>", "pretrain", "--cfg", "--batch-size", "3")]
    [InlineData("--cfg needs a value: --cfg <FILE>", "pretrain", "--cfg", "")]
    [InlineData("--tag needs a value: --tag <TAG>", "finetune", "--tag")]
    [InlineData("--precision needs a value: --precision <PRECISION>", "benchmark", "--precision")]
    [InlineData("--to needs a value: --to <LAYOUT>", "convert", "a.pth", "b.safetensors", "--to")]
    [InlineData("--model-config needs a value: --model-config <FILE>", "convert", "a.pth", "b.pth", "--model-config", "")]
    [InlineData("--opts needs KEY VALUE pairs, e.g. --opts TRAIN.EPOCHS 2 DATA.BATCH_SIZE 32", "pretrain", "--opts")]
    [InlineData("--opts needs KEY VALUE pairs, e.g. --opts TRAIN.EPOCHS 2 DATA.BATCH_SIZE 32", "pretrain", "--opts", "--tag", "x")]
    public void AFlagWithoutItsValueSaysItNeedsOne(string expected, params string[] args)
    {
        Assert.Equal(expected, OneErrorLine(args));
    }

    [Theory]
    [InlineData("--threads must be from 1 to", "pretrain", "--threads", "100000")]
    [InlineData("--threads must be from 1 to", "benchmark", "--threads", "1000")]
    [InlineData("--steps-per-epoch must be at least 1, got 0", "pretrain", "--steps-per-epoch", "0")]
    [InlineData("--steps-per-epoch must be at least 1, got -1", "finetune", "--steps-per-epoch", "-1")]
    [InlineData("--accumulation-steps must be at least 0 (0 or 1 = no accumulation), got -1", "pretrain", "--accumulation-steps", "-1")]
    [InlineData("--count must be from 1 to 1024, got 100000", "reconstruct", "--checkpoint", "c.pth", "--count", "100000")]
    [InlineData("--seed must be at least 0, got -1", "reconstruct", "--checkpoint", "c.pth", "--seed", "-1")]
    [InlineData("--img-size must be at least 1, got 0", "convert", "a.pth", "b.pth", "--img-size", "0")]
    [InlineData("--iterations must be at least 1, got 0", "mpi-check", "--iterations", "0")]
    public void ANumberOutOfRangeNamesTheFlagAndTheRange(string expected, params string[] args)
    {
        Assert.StartsWith(expected, OneErrorLine(args));
    }

    [Fact]
    public void TheThreadLimitIsTheMachinesLogicalCores()
    {
        Assert.Equal($"--threads must be from 1 to {Environment.ProcessorCount} (the logical cores of this machine), got 100000",
            OneErrorLine("pretrain", "--threads", "100000"));
    }

    [Theory]
    [InlineData(null, "100000", 1, 2, 2)]    // OMP_NUM_THREADS above the cores: capped, not a hang
    [InlineData(null, "1", 1, 2, 1)]
    [InlineData(null, "abc", 2, 8, 4)]       // unreadable: each process's share of the cores
    [InlineData(3, "100000", 1, 8, 3)]       // --threads wins
    public void TheThreadCountComesFromTheFlagTheEnvironmentOrTheCores(int? requested, string omp, int processes, int cores, int expected)
    {
        Assert.Equal(expected, SimMim.Cli.Settings.ConfigSettings.ChooseThreads(requested, omp, processes, cores));
    }

    [Fact]
    public void TheRealProgramWritesTheErrorToStandardErrorAndNothingToStandardOutput()
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "SimMim.Cli"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { "pretrain", "--cfg", "/nonexistent/nope.yaml" })
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(2, process.ExitCode);
        Assert.Equal("", stdout);
        Assert.Equal("error: /nonexistent/nope.yaml: config file not found", stderr.TrimEnd('\n'));
    }
}
