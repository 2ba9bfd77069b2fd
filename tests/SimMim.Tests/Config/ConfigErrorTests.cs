using SimMim.Config;

namespace SimMim.Tests.Config;

/// <summary>Every user mistake is one ConfigException line naming the file (and line) and the full key path.</summary>
public class ConfigErrorTests
{
    private static ConfigException LoadFails(string yaml, IReadOnlyList<string>? opts = null)
    {
        using var dir = new TempConfigDir();
        string file = dir.Write("x.yaml", yaml);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(file, opts));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(2, e.ExitCode);
        return e;
    }

    [Fact]
    public void UnknownKeyNamesFileLineAndPathAndSuggestsTheNearestKey()
    {
        ConfigException e = LoadFails("MODEL:\n  SWIN:\n    EMBED_DIMS: 96\n");

        Assert.Matches(@"x\.yaml:3: unknown key MODEL\.SWIN\.EMBED_DIMS \(did you mean MODEL\.SWIN\.EMBED_DIM\?\)$", e.Message);
    }

    [Fact]
    public void LowerCaseKeyIsUnknownButSuggested()
    {
        ConfigException e = LoadFails("data:\n  img_size: 96\n");

        Assert.Contains("unknown key data (did you mean DATA?)", e.Message);
    }

    [Fact]
    public void UnknownSectionIsReported()
    {
        Assert.Contains("x.yaml:2: unknown key SOLVER", LoadFails("SEED: 1\nSOLVER:\n  LR: 1\n").Message);
    }

    [Theory]
    [InlineData("TRAIN:\n  BASE_LR: fast\n", "x.yaml:2: TRAIN.BASE_LR: expected a number, got 'fast'")]
    [InlineData("TRAIN:\n  EPOCHS: 4.0\n", "x.yaml:2: TRAIN.EPOCHS: expected an integer, got '4.0'")]
    [InlineData("DATA:\n  PIN_MEMORY: maybe\n", "DATA.PIN_MEMORY: expected True or False, got 'maybe'")]
    [InlineData("DATA:\n  IMG_SIZE:\n", "DATA.IMG_SIZE: expected an integer, got null")]
    [InlineData("MODEL:\n  SWIN:\n    DEPTHS: [2, x]\n", "MODEL.SWIN.DEPTHS[1]: expected an integer, got 'x'")]
    [InlineData("MODEL:\n  SWIN:\n    DEPTHS: 2\n", "MODEL.SWIN.DEPTHS: expected a list of integers, got '2'")]
    [InlineData("MODEL: swin\n", "x.yaml:1: MODEL: expected a mapping of keys")]
    [InlineData("TAG: [a, b]\n", "TAG: expected a string, got a list")]
    [InlineData("TRAIN:\n  BASE_LR: .inf\n", "TRAIN.BASE_LR: expected a number, got '.inf'")]
    [InlineData("SEED: 99999999999\n", "SEED: expected an integer, got '99999999999'")]
    public void WrongTypeNamesTheKeyAndTheValue(string yaml, string expected)
    {
        Assert.Contains(expected, LoadFails(yaml).Message);
    }

    [Theory]
    [InlineData("DATA:\n  IMG_SIZE: 96\n   MASK_RATIO: 0.6\n", 3)]
    [InlineData("DATA:\n  IMG_SIZE: 96\nTAG: 'open\nSEED: 1\n", 3)]
    [InlineData("DATA:\n  IMG_SIZE: 96\nDATA:\n  IMG_SIZE: 32\n", 3)]
    public void YamlSyntaxErrorGivesTheLine(string yaml, int line)
    {
        ConfigException e = LoadFails(yaml);

        Assert.Matches($@"x\.yaml:{line}:\d+: YAML syntax error: [A-Z]", e.Message);
        Assert.DoesNotContain("(Line: ", e.Message);
    }

    [Theory]
    [InlineData("DATA:\n  IMG_SIZE: 96\n  MASK_RATIO: [0.6\nTAG: x\n", "x.yaml:3:15: YAML syntax error: '[' is never closed (expected ']')")]
    [InlineData("MODEL:\n  SWIN: {EMBED_DIM: 96\n", "x.yaml:2:9: YAML syntax error: '{' is never closed (expected '}')")]
    [InlineData("TAG: 'a [b'\n# c [d\nDATA: {IMG_SIZE: [1, 2]\n", "x.yaml:3:7: YAML syntax error: '{' is never closed (expected '}')")]
    public void AnUnclosedFlowCollectionNamesWhereItOpens(string yaml, string expected)
    {
        ConfigException e = LoadFails(yaml);

        Assert.EndsWith(expected, e.Message);
        Assert.DoesNotContain("Operation is not valid", e.Message);
    }

    [Fact]
    public void TopLevelListIsRejected()
    {
        Assert.Contains("x.yaml: expected a mapping", LoadFails("- 1\n- 2\n").Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load("configs/does_not_exist.yaml"));

        Assert.Equal("configs/does_not_exist.yaml: config file not found", e.Message);
    }

    [Fact]
    public void MissingBaseNamesTheIncludingFileAndTheBase()
    {
        ConfigException e = LoadFails("SEED: 1\nBASE: ['nope.yaml']\n");

        Assert.Matches(@"x\.yaml:2: BASE file not found: .*nope\.yaml$", e.Message);
    }

    [Fact]
    public void BaseCycleIsReportedWithTheChain()
    {
        using var dir = new TempConfigDir();
        dir.Write("a.yaml", "BASE: ['b.yaml']\n");
        dir.Write("b.yaml", "BASE: ['c.yaml']\n");
        dir.Write("c.yaml", "BASE: ['a.yaml']\n");

        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(Path.Combine(dir.Path, "a.yaml")));

        Assert.Contains("BASE cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml", e.Message);
    }

    [Fact]
    public void OddNumberOfOptsIsRejected()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, ["TRAIN.BASE_LR", "1e-3", "TRAIN.EPOCHS"]));

        Assert.StartsWith("--opts: expected KEY VALUE pairs, got an odd number of items (3)", e.Message);
    }

    [Theory]
    [InlineData("TRAIN.BASE_LRR", "1", "--opts: unknown key TRAIN.BASE_LRR (did you mean TRAIN.BASE_LR?)")]
    [InlineData("TRAIN.BASE_LR.X", "1", "--opts: unknown key TRAIN.BASE_LR.X")]
    [InlineData("MODEL.SWIN", "1", "--opts: MODEL.SWIN is a section")]
    [InlineData("TRAIN.BASE_LR", "fast", "--opts: TRAIN.BASE_LR: expected a number, got 'fast'")]
    [InlineData("DATA.IMG_SIZE", "[1", "--opts: DATA.IMG_SIZE: cannot parse '[1': ")]
    [InlineData("MODEL.SWIN.DEPTHS", "[2, [2", "--opts: MODEL.SWIN.DEPTHS: cannot parse '[2, [2': '[' is never closed (expected ']')")]
    [InlineData("BASE", "['x.yaml']", "--opts: BASE can only be given in a config file")]
    public void BadOptsNameTheKey(string key, string value, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, [key, value]));

        Assert.StartsWith(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
