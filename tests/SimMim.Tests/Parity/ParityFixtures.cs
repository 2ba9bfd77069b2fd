using System.Diagnostics;
using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization;
using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Models.Vit;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SimMim.Tests.Parity;

/// <summary>One case of tools/parity/make_fixtures.py: hyper-parameters and the reference's keys in PyTorch order.</summary>
internal sealed record ParityCase(string Name, string Type, JsonElement Config, string[] Keys, string[] Parameters);

/// <summary>
/// A load_pretrained case of make_fixtures.py: the fine-tune encoder's config and what the Python implementation of
/// the reference's load_pretrained loaded, left missing (load_state_dict's list, recomputed buffers included),
/// found unexpected (sorted) and resized.
/// </summary>
internal sealed record RemapCase(string Name, string Type, JsonElement Config, string[] Loaded, string[] Missing,
    string[] Unexpected, string[] Interpolated);

/// <summary>
/// Finds and reads the fixtures made by <c>/usr/bin/python3 tools/parity/make_fixtures.py OUTDIR</c>
/// (scripts/test.sh does it before <c>dotnet test</c>): OUTDIR is $SIMMIM_PARITY_DIR (relative paths are taken from the
/// repository root), else tests/fixtures/parity.
/// Missing fixtures fail the tests; they are never skipped.
/// </summary>
internal static class ParityFixtures
{
    public const string PythonEnvVar = "SIMMIM_PYTHON";
    private const string DirEnvVar = "SIMMIM_PARITY_DIR";

    private static readonly JsonSerializerOptions ConfigJson = new()
    {
        // A hyper-parameter the C# config does not know must not be dropped silently.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly JsonSerializerOptions ManifestJson = new() { PropertyNameCaseInsensitive = true };

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Folder { get; } = Environment.GetEnvironmentVariable(DirEnvVar) is { Length: > 0 } dir
        ? Path.GetFullPath(dir, RepoRoot)   // relative to the repository, as scripts/test.sh passes it
        : Path.Combine(RepoRoot, "tests", "fixtures", "parity");

    public static string Python => Environment.GetEnvironmentVariable(PythonEnvVar) is { Length: > 0 } p ? p : "/usr/bin/python3";

    public static string ManifestPath => Path.Combine(Folder, "cases.json");

    public static IReadOnlyList<ParityCase> Cases()
    {
        var manifest = JsonDocument.Parse(File.ReadAllText(Require(ManifestPath)));
        return manifest.RootElement.GetProperty("cases").Deserialize<ParityCase[]>(ManifestJson)!;
    }

    /// <summary>The fine-tune classifier cases (manifest section "classifier_cases").</summary>
    public static IReadOnlyList<ParityCase> ClassifierCases() => Section<ParityCase>("classifier_cases");

    /// <summary>The load_pretrained cases (manifest section "remap_cases").</summary>
    public static IReadOnlyList<RemapCase> RemapCases() => Section<RemapCase>("remap_cases");

    private static T[] Section<T>(string section)
    {
        var manifest = JsonDocument.Parse(File.ReadAllText(Require(ManifestPath)));
        if (!manifest.RootElement.TryGetProperty(section, out var cases))
        {
            Assert.Fail($"{ManifestPath} has no '{section}': the fixtures are stale; regenerate them ({Hint})");
        }
        return cases.Deserialize<T[]>(ManifestJson)!;
    }

    /// <summary>The bare encoder of a case (forSimMim: false: no mask token; the head when NumClasses &gt; 0).</summary>
    public static MaskedImageEncoder BuildEncoder(string name, string type, JsonElement config) => type switch
    {
        "vit" => new VisionTransformer(config.Deserialize<VitConfig>(ConfigJson)!, forSimMim: false),
        "swin" => new SwinTransformer(config.Deserialize<SwinConfig>(ConfigJson)!, forSimMim: false),
        _ => throw new InvalidOperationException($"case {name}: unknown model type '{type}'"),
    };

    public static ParityCase Case(string name) =>
        Cases().SingleOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"{ManifestPath} has no case '{name}'; regenerate the fixtures ({Hint})");

    public static string PathOf(string caseName, string kind) => Require(Path.Combine(Folder, $"{caseName}.{kind}.pth"));

    /// <summary>The SimMIM model of a case, built from the same hyper-parameters as the Python reference.</summary>
    public static SimMimModel Build(ParityCase c) => c.Type switch
    {
        "vit" => new SimMimModel(new VisionTransformer(c.Config.Deserialize<VitConfig>(ConfigJson)!, forSimMim: true)),
        "swin" => new SimMimModel(new SwinTransformer(c.Config.Deserialize<SwinConfig>(ConfigJson)!, forSimMim: true)),
        _ => throw new InvalidOperationException($"case {c.Name}: unknown model type '{c.Type}'"),
    };

    /// <summary>A torch.save'd dict of tensors (zip format).</summary>
    public static Dictionary<string, Tensor> ReadTensors(string path)
    {
        Hashtable table = PyTorchUnpickler.UnpickleStateDict(path);
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
        {
            result[(string)entry.Key] = entry.Value as Tensor
                ?? throw new InvalidOperationException($"{path}: entry '{entry.Key}' is not a tensor");
        }
        return result;
    }

    private static string Hint =>
        $"run `/usr/bin/python3 tools/parity/make_fixtures.py {Folder}` in {RepoRoot}" +
        " (scripts/test.sh does this; it needs Debian's python3-torch), or point SIMMIM_PARITY_DIR at the output";

    private static string Require(string path)
    {
        if (!File.Exists(path))
        {
            Assert.Fail($"parity fixture {path} is missing: {Hint}");
        }
        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SimMim.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no SimMim.slnx above {AppContext.BaseDirectory}");
    }

    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Runs a process (python3, simmim, mpirun) with a timeout (120 s unless given), optionally with extra
    /// environment variables; returns its exit code and stdout + stderr.
    /// </summary>
    public static (int ExitCode, string Output) RunProcess(string fileName, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        TimeSpan limit = timeout ?? ProcessTimeout;
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', args)} did not finish within {limit.TotalSeconds} s");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
