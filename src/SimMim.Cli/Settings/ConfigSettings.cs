using System.ComponentModel;
using SimMim.Config;
using Spectre.Console.Cli;

namespace SimMim.Cli.Settings;

/// <summary>The flags every config-driven verb shares, applied over the YAML as the reference's update_config does.</summary>
public class ConfigSettings : CommandSettings
{
    /// <summary>The config used when --cfg is absent: the built-in demo, shipped beside the program.</summary>
    public static string DemoConfigPath => Path.Combine(AppContext.BaseDirectory, "configs", "demo.yaml");

    [CommandOption("--cfg <FILE>")]
    [Description("Config file (the reference's YAML format). Default: the built-in demo config.")]
    public string? Cfg { get; init; }

    [CommandOption("--opts <KEY_VALUE>")]
    [Description("Config overrides: --opts KEY VALUE [[KEY VALUE ...]], e.g. --opts TRAIN.EPOCHS 2 DATA.IMG_SIZE 32")]
    public string[] Opts { get; init; } = [];

    [CommandOption("--data-path <PATH>")]
    [Description("Image folder, IDX file or folder of IDX files (overrides DATA.DATA_PATH). Empty: built-in shapes.")]
    public string? DataPath { get; init; }

    [CommandOption("--batch-size <N>")]
    [Description("Batch size per process (overrides DATA.BATCH_SIZE)")]
    public int? BatchSize { get; init; }

    [CommandOption("--threads <N>")]
    [Description("Torch compute threads. Default: OMP_NUM_THREADS, else the number of cores, shared out among the processes mpirun starts on this machine (benchmark: the physical cores).")]
    public int? Threads { get; init; }

    public SimMimConfig LoadConfig()
    {
        var config = ConfigLoader.Load(Cfg ?? DemoConfigPath, Opts);
        if (DataPath is not null) config = config with { Data = config.Data with { DataPath = DataPath } };
        if (BatchSize is int batch) config = config with { Data = config.Data with { BatchSize = batch } };
        return config;
    }

    /// <param name="processesOnThisMachine">Processes sharing this machine's cores; more than one thread per core
    /// halves the speed of each (measured under mpirun), so by default they split the cores.</param>
    public int ApplyThreads(int processesOnThisMachine = 1)
    {
        int threads = ChooseThreads(Threads, Environment.GetEnvironmentVariable("OMP_NUM_THREADS"), processesOnThisMachine,
            Environment.ProcessorCount);
        TorchSharp.torch.set_num_threads(threads);
        return threads;
    }

    /// <summary>
    /// --threads (already checked against the cores), else OMP_NUM_THREADS capped to the cores — it is often set for
    /// a whole cluster node, and more threads than cores only slow a run down (<see cref="OptionRanges.Threads"/>) —
    /// else this process's share of the cores.
    /// </summary>
    internal static int ChooseThreads(int? requested, string? ompNumThreads, int processesOnThisMachine, int cores) =>
        requested
        ?? (int.TryParse(ompNumThreads, out int omp) && omp > 0
            ? Math.Min(omp, cores)
            : Math.Max(1, cores / Math.Max(1, processesOnThisMachine)));

    public override Spectre.Console.ValidationResult Validate()
    {
        if (Opts.Length % 2 != 0)
            return Spectre.Console.ValidationResult.Error($"--opts takes KEY VALUE pairs; got {Opts.Length} items: {string.Join(' ', Opts)}");
        if (Cfg is "")
            return Spectre.Console.ValidationResult.Error("--cfg needs a value: --cfg <FILE>");
        return FlagChecks.First(
            BatchSize is int batch ? ConfigRanges.Of("DATA.BATCH_SIZE").Check("--batch-size", batch) : null,
            Threads is int threads ? OptionRanges.Threads.Check("--threads", threads) : null);
    }
}
