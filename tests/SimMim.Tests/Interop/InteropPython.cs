using SimMim.Tests.Parity;

namespace SimMim.Tests.Interop;

/// <summary>
/// Runs small Python snippets with the PyTorch of the parity tests (Debian's python3-torch 1.13 at /usr/bin/python3,
/// or $SIMMIM_PYTHON) to make fixtures and to check what PyTorch makes of our files. A missing interpreter fails.
/// </summary>
internal static class InteropPython
{
    /// <summary>Runs <paramref name="script"/> with <paramref name="args"/> as sys.argv[1:]; returns stdout and stderr.</summary>
    public static string Run(string script, params string[] args)
    {
        string python = ParityFixtures.Python;
        if (!File.Exists(python))
        {
            Assert.Fail($"{python} not found: the interop tests need Python 3 with PyTorch (Debian's python3-torch, " +
                $"installed by scripts/setup.sh); set {ParityFixtures.PythonEnvVar} to use another interpreter");
        }
        string file = Path.Combine(Path.GetTempPath(), $"simmim-interop-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, script);
        try
        {
            var (exitCode, output) = ParityFixtures.RunProcess(python, [file, .. args]);
            Assert.True(exitCode == 0, $"python exited with {exitCode}:\n{output}");
            return output;
        }
        finally
        {
            File.Delete(file);
        }
    }
}

/// <summary>A temporary directory deleted with the test.</summary>
internal sealed class InteropTempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("simmim-interop").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
