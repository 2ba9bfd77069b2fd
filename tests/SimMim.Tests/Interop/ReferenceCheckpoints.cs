using System.Text.Json;
using SimMim.Config;
using SimMim.Tests.Parity;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

/// <summary>Our config file and --opts that build the case's model (the fixture script sizes the model to them).</summary>
internal sealed record ReferenceCli(string Cfg, string[] Opts);

/// <summary>
/// A case of tools/parity/make_reference_checkpoints.py: a checkpoint as the reference's main_simmim.py
/// (Stage "pretrain") or main_finetune.py ("finetune") writes it, after two AdamW steps, saved at Epoch.
/// </summary>
internal sealed record ReferenceCase(string Name, string Stage, string Type, JsonElement Config, int Epoch, double MaxAccuracy,
    ReferenceCli Cli, string[] Keys, string[] Parameters, int Groups);

/// <summary>One file of a case: the zip or the legacy format, at a pickle protocol.</summary>
internal sealed record ReferenceFile(string File, string Case, bool Zip, int Protocol)
{
    public override string ToString() => File;
}

/// <summary>
/// Finds and reads the checkpoints made by <c>/usr/bin/python3 tools/parity/make_reference_checkpoints.py OUTDIR</c>
/// (scripts/test.sh does it before <c>dotnet test</c>): OUTDIR is $SIMMIM_REFERENCE_CHECKPOINTS_DIR (relative paths
/// are taken from the repository root), else tests/fixtures/reference-checkpoints. Missing fixtures fail the tests;
/// they are never skipped.
/// </summary>
internal static class ReferenceCheckpoints
{
    private const string DirEnvVar = "SIMMIM_REFERENCE_CHECKPOINTS_DIR";
    public const int StepsTaken = 2;

    private static readonly JsonSerializerOptions ManifestJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Folder { get; } = Environment.GetEnvironmentVariable(DirEnvVar) is { Length: > 0 } dir
        ? Path.GetFullPath(dir, ParityFixtures.RepoRoot)
        : Path.Combine(ParityFixtures.RepoRoot, "tests", "fixtures", "reference-checkpoints");

    private static string ManifestPath => Path.Combine(Folder, "manifest.json");

    /// <summary>Every file of every case, as xunit theory data.</summary>
    public static TheoryData<string> FileNames() => [.. Files().Select(f => f.File)];

    /// <summary>The files of one stage ("pretrain" or "finetune").</summary>
    public static TheoryData<string> FileNames(string stage) =>
        [.. Files().Where(f => Case(f.Case).Stage == stage).Select(f => f.File)];

    public static IReadOnlyList<ReferenceFile> Files() => Section<ReferenceFile[]>("files");

    public static ReferenceFile File(string name) =>
        Files().SingleOrDefault(f => f.File == name) ?? throw new InvalidOperationException($"{ManifestPath} has no file '{name}'; {Hint}");

    public static ReferenceCase Case(string name) =>
        Section<ReferenceCase[]>("cases").SingleOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"{ManifestPath} has no case '{name}'; {Hint}");

    public static string PathOf(string file) => Require(Path.Combine(Folder, file));

    /// <summary>
    /// What the file must restore, as the fixture script saw it in PyTorch and read here by PyBridge (not our
    /// reader): 'model.&lt;key&gt;', 'exp_avg.&lt;parameter&gt;' and 'exp_avg_sq.&lt;parameter&gt;'.
    /// </summary>
    public static Dictionary<string, Tensor> Expected(string caseName) =>
        ParityFixtures.ReadTensors(Require(Path.Combine(Folder, $"{caseName}.expected.pth")));

    /// <summary>The run config the case's model belongs to: its config file, its --opts, then <paramref name="more"/>.</summary>
    public static SimMimConfig Config(ReferenceCase c, params string[] more) =>
        ConfigLoader.Load(Path.Combine(ParityFixtures.RepoRoot, c.Cli.Cfg), [.. c.Cli.Opts, "DATA.DATA_PATH", "builtin", .. more]);

    /// <summary>CLI arguments for the case's model on the built-in shapes (--opts last, so more can follow).</summary>
    public static string[] CliArgs(ReferenceCase c, string output, params string[] more) =>
        ["--cfg", Path.Combine(ParityFixtures.RepoRoot, c.Cli.Cfg), "--data-path", "builtin", "--batch-size", "16",
         "--output", output, .. more, "--opts", .. c.Cli.Opts];

    private static T Section<T>(string name)
    {
        using var manifest = JsonDocument.Parse(System.IO.File.ReadAllText(Require(ManifestPath)));
        if (!manifest.RootElement.TryGetProperty(name, out var section))
            Assert.Fail($"{ManifestPath} has no '{name}': the fixtures are stale; {Hint}");
        return section.Deserialize<T>(ManifestJson)!;
    }

    private static string Hint =>
        $"run `/usr/bin/python3 tools/parity/make_reference_checkpoints.py {Folder}` in {ParityFixtures.RepoRoot} " +
        $"(scripts/test.sh does this; it needs Debian's python3-torch), or point {DirEnvVar} at the output";

    private static string Require(string path)
    {
        if (!System.IO.File.Exists(path))
            Assert.Fail($"reference checkpoint fixture {path} is missing: {Hint}");
        return path;
    }
}
