using SimMim.Config;
using SimMim.Data;

namespace SimMim.Benchmarking;

/// <summary>
/// What the input-pipeline benchmark reads: DATA.DATA_PATH, or without one (or with the built-in procedural set, which
/// has no files) a temporary folder of JPEG and PNG files a quarter larger than DATA.IMG_SIZE, enough for four
/// batches, deleted on dispose.
/// </summary>
internal sealed class BenchmarkInput : IDisposable
{
    private readonly SampleImageFolder? _folder;

    private BenchmarkInput(IImageDataset dataset, string source, SampleImageFolder? folder)
    {
        Dataset = dataset;
        Source = source;
        _folder = folder;
    }

    public IImageDataset Dataset { get; }

    /// <summary>How the result names it: the data path, or the temporary folder's contents.</summary>
    public string Source { get; }

    /// <exception cref="DataException">DATA.DATA_PATH is missing or holds no images.</exception>
    /// <exception cref="OutputException">The temporary folder cannot be written.</exception>
    public static BenchmarkInput Open(DataConfig data, int seed)
    {
        if (data.DataPath is { Length: > 0 } path && path != "builtin")
            return new BenchmarkInput(DatasetFactory.Open(path), path, null);
        int count = Math.Max(4 * data.BatchSize, 64), side = data.ImgSize * 5 / 4;
        var folder = SampleImageFolder.Create(count, side, seed);
        try
        {
            return new BenchmarkInput(new ImageFolderDataset(folder.Root), $"temporary folder: {count} JPEG/PNG files of {side}x{side}", folder);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public void Dispose() => _folder?.Dispose();
}
