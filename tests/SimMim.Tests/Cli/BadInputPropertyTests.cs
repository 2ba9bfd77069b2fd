using System.Diagnostics;
using SimMim.Checkpoints;
using SimMim.Cli;
using SimMim.Config;
using SimMim.Models;
using SimMim.Tests.Config;
using SimMim.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SimMim.Tests.Cli;

/// <summary>
/// Generated bad values for every config key (found by reflection over the config records, so a new key is covered
/// without touching this file) and for every option of every verb (found from the settings classes). Each case must
/// end in a user error — exit code 1 or 2, one "error:" line on standard error, no stack trace — or in a valid run.
/// Any other exception is a bug this test reports with the case that caused it.
/// </summary>
[Trait("Category", "Property")]
public class BadInputPropertyTests(ITestOutputHelper output)
{
    // Wrong type, negative, zero, huge (not an int, and just past int), not a number, infinite, empty.
    private static readonly string[] s_values = ["abc", "-1", "0", "1e12", "2147483648", "NaN", "inf", ""];
    private static readonly string[] s_listValues = ["[abc]", "[-1]", "[0]", "[1e12]", "[2147483648]", "[]"];

    // A string key or flag reads every value as text, so the numeric spellings all take the path "abc" takes: a word,
    // one that looks like an option, and nothing. (Each valid value is a whole run; this keeps the test near 30 s.)
    private static readonly string[] s_textValues = ["abc", "-1", ""];

    // The largest int: valid as a number, so it reaches the ranges, the geometry and the memory estimate. Loader
    // cases only: as TRAIN.EPOCHS it is a valid run of 2³¹ epochs.
    private const string LargestInt = "2147483647";

    // Keys only the classification verbs read; their CLI cases run `finetune` as well as `pretrain`.
    private static readonly string[] s_finetuneKeys =
        ["MODEL.NUM_CLASSES", "MODEL.DROP_RATE", "MODEL.LABEL_SMOOTHING", "TRAIN.LAYER_DECAY", "DATA.INTERPOLATION"];

    private const string TinyPretrain = """
        DATA:
          IMG_SIZE: 16
          MASK_PATCH_SIZE: 8
          BATCH_SIZE: 2
          NUM_WORKERS: 1
        MODEL:
          TYPE: swin
          NAME: tiny
          NUM_CLASSES: 10
          DROP_PATH_RATE: 0.0
          SWIN:
            PATCH_SIZE: 2
            EMBED_DIM: 8
            DEPTHS: [1, 1]
            NUM_HEADS: [1, 2]
            WINDOW_SIZE: 4
        TRAIN:
          EPOCHS: 1
          WARMUP_EPOCHS: 0
        AUG:
          AUTO_AUGMENT: none
          MIXUP: 0.0
          CUTMIX: 0.0
        PRINT_FREQ: 1
        AMP_OPT_LEVEL: O0
        """;

    /// <summary>Every leaf key of the config tree as KEY.PATH, with its property type.</summary>
    private static List<(string Key, Type Type)> AllKeys(Type section, string prefix = "")
    {
        var keys = new List<(string, Type)>();
        foreach (ConfigKey key in UpperSnakeNaming.Keys(section))
        {
            Type type = key.Property.PropertyType;
            if (UpperSnakeNaming.IsSection(type))
                keys.AddRange(AllKeys(type, prefix + key.Name + "."));
            else
                keys.Add((prefix + key.Name, type));
        }
        return keys;
    }

    private static bool IsList(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>);

    /// <summary>The values a key of <paramref name="type"/> (or, with <paramref name="forLoader"/>, also the largest int) gets.</summary>
    private static IEnumerable<string> ValuesFor(Type type, bool forLoader = false)
    {
        IEnumerable<string> values = type == typeof(string) || type == typeof(IReadOnlyList<string>) ? s_textValues : s_values;
        if (IsList(type))
            values = values.Concat(s_listValues);
        return forLoader ? values.Append(LargestInt).Append($"[{LargestInt}]") : values;
    }

    [Fact]
    public void EveryKeyWithABadValueLoadsToAValidConfigOrOneConfigError()
    {
        using var dir = new TempConfigDir();
        string tiny = dir.Write("tiny.yaml", TinyPretrain);
        var failures = new List<string>();
        int cases = 0;
        foreach (var (key, type) in AllKeys(typeof(SimMimConfig)))
        {
            foreach (string value in ValuesFor(type, forLoader: true))
            {
                cases++;
                try
                {
                    SimMimConfig config = ConfigLoader.Load(tiny, [key, value]);
                    foreach (ConfigStage stage in Enum.GetValues<ConfigStage>())
                    {
                        try
                        {
                            ConfigValidator.ValidateRun(config, stage, training: true);
                            if (stage == ConfigStage.Finetune)
                                FineTuner.CheckSupportedAugmentation(config.Aug);
                        }
                        catch (ConfigException e)
                        {
                            AssertOneLine(e.Message);
                        }
                    }
                }
                catch (ConfigException e)
                {
                    AssertOneLine(e.Message);
                }
                catch (Exception e)
                {
                    failures.Add($"--opts {key} '{value}': {e.GetType().Name}: {e.Message}");
                }
            }
        }
        output.WriteLine($"{cases} loader cases");
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(cases >= 700, $"only {cases} loader cases");
    }

    [Fact]
    public void EveryKeyAndEveryFlagWithABadValueEndsInOneErrorLineOrAValidRun()
    {
        using var dir = new TempConfigDir();
        string tiny = dir.Write("tiny.yaml", TinyPretrain);
        var files = new CaseFiles(dir.Path, tiny);
        var cases = new List<string[]>();
        foreach (var (key, type) in AllKeys(typeof(SimMimConfig)))
        {
            foreach (string value in ValuesFor(type))
            {
                cases.Add([.. files.Pretrain(), "--opts", key, value]);
                if (key.StartsWith("AUG.", StringComparison.Ordinal) || key.StartsWith("TEST.", StringComparison.Ordinal)
                    || s_finetuneKeys.Contains(key))
                    cases.Add([.. files.Finetune(), "--opts", key, value]);
            }
        }

        foreach (var (verb, settings) in SimMimApp.SettingsByVerb)
        {
            foreach (FlagValues.Option option in FlagValues.Options(settings).Values)
            {
                if (option.ValueName is null)
                    continue;   // a switch such as --augment takes no value
                string flag = "--" + option.Name;
                string[] baseArgs = files.For(verb, without: flag);
                // Missing: last on the line, and followed by another option.
                cases.Add([.. baseArgs, flag]);
                cases.Add([verb, flag, .. baseArgs[1..]]);
                // --output's values are relative paths that would be written in the working directory (file-system
                // cases are docs/RELIABILITY.md's other rows); every other flag gets every value of its type.
                if (option.Name == "output")
                    continue;
                Type type = Nullable.GetUnderlyingType(option.Type) ?? option.Type;
                foreach (string value in type == typeof(int) || type == typeof(double) ? s_values : s_textValues)
                    cases.Add([.. baseArgs, flag, value]);
            }
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        int valid = 0;
        var clock = Stopwatch.StartNew();
        // Two at a time (each run uses one torch thread): the cases are independent, each with its own output folder.
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, args =>
        {
            CliResult result;
            try
            {
                result = CliRun.Run(400, args);
            }
            catch (Exception e)
            {
                failures.Add($"{string.Join(' ', args)}: {e.GetType().Name}: {e.Message}");
                return;
            }
            if (Problem(result) is { } problem)
                failures.Add($"{string.Join(' ', args)}: {problem}\n{result}");
            else if (result.ExitCode == 0)
                Interlocked.Increment(ref valid);
        });

        output.WriteLine($"{cases.Count} CLI cases ({valid} valid runs) in {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n\n", failures.Take(20)));
        Assert.True(cases.Count >= 1000, $"only {cases.Count} CLI cases");
    }

    /// <summary>Null when the run is a user error told in one line or a run that finished; else what is wrong.</summary>
    private static string? Problem(CliResult result)
    {
        string[] errors = result.Err.Where(l => !l.StartsWith("warning: ", StringComparison.Ordinal)).ToArray();
        if (result.Out.Any(l => l.StartsWith("error:", StringComparison.Ordinal)))
            return "an error line on standard output";
        if (result.Err.Concat(result.Out).Any(l => l.StartsWith("at ", StringComparison.Ordinal) || l.Contains(" at SimMim", StringComparison.Ordinal)))
            return "a stack trace";
        if (result.ExitCode == 0)
            return errors.Length == 0 ? null : "exit 0 with an error line";
        if (result.ExitCode is not (1 or 2))
            return $"exit code {result.ExitCode}";
        if (errors.Length != 1 || !errors[0].StartsWith("error: ", StringComparison.Ordinal))
            return $"{errors.Length} lines on standard error that are not warnings, expected one \"error:\" line";
        return null;
    }

    private static void AssertOneLine(string message)
    {
        Assert.DoesNotContain('\n', message);
        Assert.False(string.IsNullOrWhiteSpace(message));
    }

    /// <summary>
    /// Arguments that make each verb a valid, short run on the tiny config, so that a case fails only through the
    /// value under test: one step per epoch, one epoch, one thread, a fresh output folder each time (no resume).
    /// </summary>
    private sealed class CaseFiles
    {
        private readonly string _root, _tiny, _pretrainCheckpoint, _finetuneCheckpoint, _hfWeights;
        private int _runs;

        public CaseFiles(string root, string tiny)
        {
            (_root, _tiny) = (root, tiny);
            var config = ConfigLoader.Load(tiny);
            _pretrainCheckpoint = Path.Combine(root, "pretrain.pth");
            _finetuneCheckpoint = Path.Combine(root, "finetune.pth");
            _hfWeights = Path.Combine(root, "hf.safetensors");
            using (var model = ModelFactory.BuildSimMim(config.Model, config.Data.ImgSize))
            {
                using (var optimizer = optim.AdamW(model.parameters()))
                    TrainingCheckpoint.Save(_pretrainCheckpoint, model, optimizer, new TrainingState(0, 1, 0, ""));
                SafetensorsFile.Save(_hfWeights, HuggingFaceKeys.ToHuggingFace(model.state_dict(), "tiny"));
            }
            using (var encoder = ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false))
            using (var optimizer = optim.AdamW(encoder.parameters()))
                TrainingCheckpoint.Save(_finetuneCheckpoint, encoder, optimizer, new TrainingState(0, 1, 0, ""));
        }

        private string Output() => Path.Combine(_root, "runs", $"{Interlocked.Increment(ref _runs)}");

        public string[] Pretrain() =>
            ["pretrain", "--cfg", _tiny, "--output", Output(), "--steps-per-epoch", "1", "--threads", "1"];

        // 1 % of the labels and 1 % of the training images held out: a few images each, so a run is a few steps.
        public string[] Finetune() =>
            ["finetune", "--cfg", _tiny, "--output", Output(), "--steps-per-epoch", "1", "--threads", "1",
             "--label-fraction", "0.01", "--holdout", "0.01"];

        public string[] For(string verb, string without)
        {
            string[] args = verb switch
            {
                "pretrain" => Pretrain(),
                "finetune" => Finetune(),
                "linprobe" => ["linprobe", "--cfg", _tiny, "--output", Output(), "--threads", "1", "--label-fraction", "0.01",
                    "--holdout", "0.01"],
                "eval" => ["eval", "--cfg", _tiny, "--output", Output(), "--threads", "1", "--resume", _finetuneCheckpoint,
                    "--holdout", "0.01"],
                "reconstruct" => ["reconstruct", "--cfg", _tiny, "--checkpoint", _pretrainCheckpoint, "--count", "2",
                    "--threads", "1", "--output", Path.Combine(Output() + ".png")],
                "benchmark" => ["benchmark", "--cfg", _tiny, "--steps", "1", "--warmup", "0", "--threads", "1"],
                "convert" => ["convert", _hfWeights, Path.Combine(_root, $"converted{Interlocked.Increment(ref _runs)}.pth"),
                    "--img-size", "16"],
                "inspect" => ["inspect", _pretrainCheckpoint],
                "mpi-check" => ["mpi-check", "--cfg", _tiny, "--iterations", "1", "--threads", "1"],
                _ => throw new InvalidOperationException($"no arguments for a valid `{verb}` run; add them here"),
            };
            return Without(args, without);
        }

        /// <summary><paramref name="args"/> without <paramref name="flag"/> and its value (or, for --opts, its pairs).</summary>
        private static string[] Without(string[] args, string flag)
        {
            var result = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] != flag)
                {
                    result.Add(args[i]);
                    continue;
                }
                while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    i++;
            }
            return [.. result];
        }
    }
}
