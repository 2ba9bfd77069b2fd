using SimMim.IO;

namespace SimMim.Tests.IO;

/// <summary>Every file-system failure on a user's path is one line naming the path, what it was for and why.</summary>
public class UserPathsTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-paths").FullName;

    [Fact]
    public void AFileWhereAFolderShouldBeIsNamedAsSuch()
    {
        string file = Path.Combine(TempDir(), "afile");
        File.WriteAllText(file, "");
        string run = Path.Combine(file, "sub", "run");

        var e = Assert.Throws<OutputException>(() => UserPaths.EnsureWritableDirectory(run, "the run folder"));

        Assert.Equal($"cannot create the run folder {run}: {file} is a file, not a folder", e.Message);
        Assert.Equal(1, e.ExitCode);
        Assert.Equal($"{file} is a file, not a folder",
            Assert.Throws<OutputException>(() => UserPaths.ReplaceAtomically(Path.Combine(file, "x.json"), "the report", _ => { })).Reason);
    }

    [Fact]
    public void ANameLongerThan255BytesIsNamedBeforeAnythingIsCreated()
    {
        string root = TempDir();
        string run = Path.Combine(root, new string('é', 128), "run");   // 256 bytes of UTF-8

        var e = Assert.Throws<OutputException>(() => UserPaths.EnsureWritableDirectory(run, "the run folder"));

        Assert.StartsWith($"cannot create the run folder {run}: the name éééé", e.Message);
        Assert.EndsWith("is 256 bytes long, more than a file name may be (255)", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public void AReadOnlyFolderIsFoundByTheWriteCheck()
    {
        string folder = ReadOnlyFolder.Create();
        var e = Assert.Throws<OutputException>(() => UserPaths.EnsureWritableDirectory(folder, "the run folder"));
        Assert.Equal($"cannot write to the run folder {folder}: Permission denied", e.Message);

        var file = Assert.Throws<OutputException>(() => UserPaths.EnsureWritableFile(Path.Combine(folder, "grid.png"), "the grid"));
        Assert.Equal($"cannot write the grid {Path.Combine(folder, "grid.png")}: Permission denied", file.Message);
    }

    [Fact]
    public void AFolderThatCannotBeCreatedNamesWhereItWouldHaveBeen()
    {
        string folder = Path.Combine(ReadOnlyFolder.Uncreatable(), "run");
        var e = Assert.Throws<OutputException>(() => UserPaths.EnsureWritableDirectory(folder, "the run folder"));
        Assert.Equal($"cannot create the run folder {folder}: /proc does not take new folders (a virtual or read-only file system?)", e.Message);
    }

    [Fact]
    public void TheWriteCheckLeavesNothingBehind()
    {
        string root = TempDir();
        string run = Path.Combine(root, "a", "b");
        UserPaths.EnsureWritableDirectory(run, "the run folder");
        Assert.True(Directory.Exists(run));
        Assert.Empty(Directory.EnumerateFileSystemEntries(run));
    }

    [Fact]
    public void AFolderWhereAFileShouldBeIsNamedAsSuch()
    {
        string dir = TempDir();
        Assert.Equal($"{dir}: checkpoint is a folder, not a file",
            Assert.Throws<CheckpointException>(() => UserPaths.RequireFile(dir, "checkpoint", InputKind.Checkpoint)).Message);
        Assert.Equal($"{dir}: config file is a folder, not a file",
            Assert.Throws<ConfigException>(() => UserPaths.ReadAllText(dir, "config file", InputKind.Config)).Message);
        Assert.Equal($"cannot write the grid {dir}: it is a folder, not a file",
            Assert.Throws<OutputException>(() => UserPaths.ReplaceAtomically(dir, "the grid", _ => { })).Message);
        Assert.Equal($"cannot write the grid {dir}: it is a folder, not a file",
            Assert.Throws<OutputException>(() => UserPaths.EnsureWritableFile(dir, "the grid")).Message);
    }

    [Fact]
    public void InputErrorsCarryTheExitCodeOfTheirKind()
    {
        string missing = Path.Combine(TempDir(), "missing");
        Assert.Equal(2, Assert.Throws<ConfigException>(() => UserPaths.RequireFile(missing, "config file", InputKind.Config)).ExitCode);
        Assert.Equal(2, Assert.Throws<CheckpointException>(() => UserPaths.RequireFile(missing, "checkpoint", InputKind.Checkpoint)).ExitCode);
        var data = Assert.Throws<DataException>(() => UserPaths.RequireExists(missing, "data path", InputKind.Data));
        Assert.Equal((1, $"{missing}: data path not found"), (data.ExitCode, data.Message));
        Assert.Equal($"x.yaml:3: BASE file not found: {missing}",
            Assert.Throws<ConfigException>(() => UserPaths.RequireFile(missing, "BASE file", InputKind.Config, "x.yaml:3")).Message);
    }

    [Fact]
    public void AMissingNameHoldingUFFFDSaysItWasNotValidUtf8()
    {
        // What .NET makes of a file named with the byte 0xFF: U+FFFD, which it writes back as EF BF BD.
        string path = Path.Combine(TempDir(), "\uFFFD.png");
        var e = Assert.Throws<DataException>(() => UserPaths.ReadAllBytes(path, "image", InputKind.Data));
        Assert.StartsWith($"{path}: image not found; its name holds U+FFFD, which is what .NET makes of bytes that are not UTF-8", e.Message);
    }

    [Fact]
    public void AnImageNamedWithBytesThatAreNotUtf8IsSkippedSayingWhy()
    {
        string dir = TempDir();
        // Only a shell can make the name: every .NET path is UTF-8.
        var (code, output) = SimMim.Tests.Parity.ParityFixtures.RunProcess("/bin/bash", ["-c", "printf x > \"$0\"/$'\\xff.png'", dir]);
        Assert.True(code == 0, output);
        var dataset = new SimMim.Data.ImageFolderDataset(dir);

        var e = Assert.Throws<DataException>(() => dataset.Load(0));

        Assert.Equal(Path.Combine(dir, "\uFFFD.png"), dataset.Describe(0));
        Assert.Contains("not found; its name holds U+FFFD, which is what .NET makes of bytes that are not UTF-8", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("../../../x")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    public void ATagOrModelNameMustBeOneFolderName(string value)
    {
        var e = Assert.Throws<ConfigException>(() => UserPaths.RequireFolderName(value, "TAG"));
        Assert.StartsWith($"TAG must be a single folder name, but '{value}' ", e.Message);
        UserPaths.RequireFolderName("fashion_mnist-vit.tiny 1", "TAG");
        Assert.Throws<ConfigException>(() => UserPaths.RequireFolderName(new string('x', 256), "MODEL.NAME"));
        UserPaths.RequireFolderName(new string('x', 255), "MODEL.NAME");
    }
}
