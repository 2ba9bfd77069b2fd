namespace SimMim.Data;

/// <summary>Chooses a data set from DATA.DATA_PATH.</summary>
public static class DatasetFactory
{
    /// <summary>Images in the built-in demo set and their size.</summary>
    public const int BuiltinCount = 2048;
    public const int BuiltinSize = 64;

    /// <summary>
    /// "" or "builtin" → <see cref="ProceduralDataset"/>; a folder with IDX files or an IDX file →
    /// <see cref="IdxDataset"/> (<paramref name="split"/> picks train or t10k); any other folder →
    /// <see cref="ImageFolderDataset"/>.
    /// </summary>
    /// <exception cref="DataException">The path does not exist, is an unsupported file, or holds no images.</exception>
    public static IImageDataset Open(string path, string split = "train")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path == "builtin")
        {
            return new ProceduralDataset(BuiltinCount, BuiltinSize);
        }
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new DataException($"data path not found: {path}");
        }
        if (IdxDataset.IsIdxPath(path))
        {
            return IdxDataset.Open(path, split);
        }
        if (File.Exists(path))
        {
            throw new DataException($"data path is a file but not an IDX image file (…idx3-ubyte[.gz]): {path}");
        }
        return new ImageFolderDataset(path);
    }
}
