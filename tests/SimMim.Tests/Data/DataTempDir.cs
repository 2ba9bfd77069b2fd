namespace SimMim.Tests.Data;

/// <summary>A scratch folder deleted when the test ends.</summary>
internal sealed class DataTempDir : IDisposable
{
    public DataTempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "simmim-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string CreateDirectory(params string[] parts)
    {
        string dir = Combine(parts);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
