using SimMim.IO;

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
        UserPaths.RequireExists(path, "data path", InputKind.Data);
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

    /// <summary>
    /// The training and validation sets of a labelled data set: IDX → train and t10k files; a folder with
    /// <c>train</c> and <c>val</c> sub-folders → both as image folders (the reference's layout); "" or "builtin" →
    /// two disjoint procedural sets (different seeds).
    /// </summary>
    /// <exception cref="DataException">The path does not exist or lacks one of the splits.</exception>
    public static (IImageDataset Train, IImageDataset Val) OpenSplits(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path == "builtin")
            return (new ProceduralDataset(BuiltinCount, BuiltinSize), new ProceduralDataset(BuiltinCount / 4, BuiltinSize, seed: 1));
        UserPaths.RequireExists(path, "data path", InputKind.Data);
        if (IdxDataset.IsIdxPath(path))
            return (IdxDataset.Open(path, "train"), IdxDataset.Open(path, "test"));
        string train = Path.Combine(path, "train"), val = Path.Combine(path, "val");
        if (!Directory.Exists(train) || !Directory.Exists(val))
            throw new DataException($"{path}: expected IDX files or the sub-folders train/ and val/ (one folder per class in each)");
        return (new ImageFolderDataset(train), new ImageFolderDataset(val));
    }

    /// <summary>
    /// <see cref="OpenSplits(string)"/>, or with <paramref name="holdout"/> &gt; 0 a class-stratified share of the
    /// training set as the validation set and the rest as the training set (the validation split is not read). The
    /// share is chosen by a fixed seed, so every run and every SEED validates on the same images.
    /// </summary>
    /// <exception cref="DataException">The path does not exist or lacks one of the splits.</exception>
    /// <exception cref="ConfigException">The hold-out fraction is not 0 and not in (0, 1).</exception>
    public static (IImageDataset Train, IImageDataset Val) OpenSplits(string path, double holdout)
    {
        if (holdout == 0)
            return OpenSplits(path);
        var (rest, heldOut) = SubsetDataset.HoldOut(OpenSplits(path).Train, holdout, HoldoutSeed);
        return (rest, heldOut);
    }

    private const int HoldoutSeed = 0;
}
