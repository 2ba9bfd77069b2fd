using System.Text;
using SimMim.Cli;
using SimMim.Tests.Distributed;
using SimMim.Tests.Parity;

namespace SimMim.Tests.Cli;

/// <summary>An input path that names a folder, or bytes that are not UTF-8, is one line saying so (exit 2).</summary>
public class InputPathCliTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-in-cli").FullName;

    [Fact]
    public void AFolderGivenWhereAFileIsExpectedIsSaidToBeOne()
    {
        string dir = TempDir(), output = TempDir(), any = CliRun.FinetuneConfig;
        var cases = new (string[] Args, string Expected)[]
        {
            (["inspect", dir], $"{dir}: checkpoint is a folder, not a file"),
            (["pretrain", "--cfg", dir], $"{dir}: config file is a folder, not a file"),
            (["pretrain", "--output", output, "--resume", dir], $"{dir}: checkpoint to resume from is a folder, not a file"),
            (["finetune", "--cfg", any, "--pretrained", dir], $"--pretrained: checkpoint is a folder, not a file: {dir}"),
            (["eval", "--cfg", any, "--resume", dir], $"--resume: checkpoint is a folder, not a file: {dir}"),
            (["reconstruct", "--checkpoint", dir, "--output", Path.Combine(output, "g.png")], $"{dir}: checkpoint is a folder, not a file"),
            (["convert", dir, Path.Combine(output, "c.pth")], $"{dir}: checkpoint is a folder, not a file"),
            (["convert", any, Path.Combine(output, "c.pth"), "--model-config", dir], $"{dir}: config file is a folder, not a file"),
        };
        foreach (var (args, expected) in cases)
            Assert.Equal(expected, CliRun.AssertOneError(CliRun.InProcess(args), 2));
    }

    [Fact]
    public void AnArgumentThatIsNotUtf8IsOneLineShowingItsBytes()
    {
        // bash passes the byte 0xFF through; .NET would hand Main "\uFFFD.pth" and look for the bytes EF BF BD.
        var (code, output) = ParityFixtures.RunProcess("/bin/bash", ["-c", "exec \"$0\" inspect $'\\xff.pth'", MpirunProcesses.Simmim]);
        Assert.Equal(2, code);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: the argument $'\\xff.pth' is not valid UTF-8: .NET reads it as '\uFFFD.pth' and cannot open or create a file of that name", line);
    }

    [Fact]
    public void OnlyArgumentsMadeFromInvalidBytesAreRefused()
    {
        byte[][] raw = [.. new[] { "simmim", "inspect" }.Select(Encoding.UTF8.GetBytes), [0xFF, .. ".pth"u8]];
        var e = Assert.Throws<ConfigException>(() => ArgumentEncoding.Check(["inspect", "\uFFFD.pth"], raw));
        Assert.StartsWith("the argument $'\\xff.pth' is not valid UTF-8", e.Message);
        // U+FFFD typed as such is valid UTF-8 (EF BF BD) and names a file .NET can open.
        ArgumentEncoding.Check(["inspect", "\uFFFD.pth"], [.. new[] { "simmim", "inspect", "\uFFFD.pth" }.Select(Encoding.UTF8.GetBytes)]);
    }
}
