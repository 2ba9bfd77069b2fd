namespace SimMim.Tests.Config;

/// <summary>A scratch folder for YAML files, deleted afterwards.</summary>
internal sealed class TempConfigDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("simmim-config-").FullName;

    public string Write(string relativePath, string yaml)
    {
        string file = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, yaml);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
