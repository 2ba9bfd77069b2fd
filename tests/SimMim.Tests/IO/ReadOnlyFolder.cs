namespace SimMim.Tests.IO;

/// <summary>
/// Places where a write must fail, whoever runs the tests: root ignores permission bits (chmod does not stop it), so
/// as root the read-only folder is sysfs's /sys/kernel, read-only to everyone; otherwise a temporary folder without
/// its write bits.
/// </summary>
internal static class ReadOnlyFolder
{
    /// <summary>An existing folder this process cannot create files in, two levels below another (a run folder OUTPUT/NAME/TAG).</summary>
    public static string Create()
    {
        if (Environment.IsPrivilegedProcess) return "/sys/kernel";
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the tests run on Linux (a linux-x64 libtorch)");
        string dir = Path.Combine(Directory.CreateTempSubdirectory("simmim-readonly").FullName, "name", "tag");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        return dir;
    }

    /// <summary>The OUTPUT, MODEL.NAME and TAG that make <paramref name="folder"/> the run folder.</summary>
    public static (string Output, string Name, string Tag) AsRunFolder(string folder)
    {
        string parent = Path.GetDirectoryName(folder)!;
        return (Path.GetDirectoryName(parent)!, Path.GetFileName(parent), Path.GetFileName(folder));
    }

    /// <summary>A folder that cannot be created by anyone: /proc takes no new folders.</summary>
    public static string Uncreatable() => $"/proc/simmim-test-{Guid.NewGuid():N}";
}
