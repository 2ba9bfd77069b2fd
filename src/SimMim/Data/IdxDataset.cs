using System.Buffers.Binary;
using System.IO.Compression;
using SimMim.IO;

namespace SimMim.Data;

/// <summary>
/// MNIST / Fashion-MNIST IDX files (raw or gzipped): an image file (magic 0x803: n × rows × cols unsigned bytes,
/// big-endian header) and optionally a label file (magic 0x801). Grayscale is replicated to RGB. The whole file is
/// held in memory (47 MB for the 60 000 training images).
/// </summary>
public sealed class IdxDataset : IImageDataset
{
    private const int ImageMagic = 0x00000803;
    private const int LabelMagic = 0x00000801;

    private readonly byte[] _pixels;
    private readonly byte[]? _labels;
    private readonly string[] _classNames;

    /// <exception cref="DataException">A file is missing, not IDX, truncated, or the counts disagree.</exception>
    public IdxDataset(string imagesFile, string? labelsFile = null)
    {
        ImagesFile = imagesFile;
        LabelsFile = labelsFile;
        byte[] images = ReadAll(imagesFile);
        if (images.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(images) != ImageMagic)
        {
            throw new DataException($"not an IDX image file (expected magic 0x00000803, 3 dimensions): {imagesFile}");
        }
        int count = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4));
        Height = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8));
        Width = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12));
        if (count <= 0 || Height <= 0 || Width <= 0 || images.Length - 16L != (long)count * Height * Width)
        {
            throw new DataException(
                $"IDX image file holds {images.Length - 16} pixel bytes, header says {count}×{Height}×{Width}: {imagesFile}");
        }
        Count = count;
        _pixels = images;

        if (labelsFile is null)
        {
            _classNames = [Path.GetFileName(imagesFile)];
            return;
        }
        byte[] labels = ReadAll(labelsFile);
        if (labels.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(labels) != LabelMagic)
        {
            throw new DataException($"not an IDX label file (expected magic 0x00000801): {labelsFile}");
        }
        int labelCount = BinaryPrimitives.ReadInt32BigEndian(labels.AsSpan(4));
        if (labelCount != count || labels.Length - 8 != count)
        {
            throw new DataException($"{labelsFile} has {labels.Length - 8} labels (header {labelCount}), {imagesFile} has {count} images");
        }
        _labels = labels;
        int numClasses = labels.AsSpan(8).ToArray().Max() + 1;
        _classNames = [.. Enumerable.Range(0, numClasses).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    }

    public string ImagesFile { get; }

    public string? LabelsFile { get; }

    public int Width { get; }

    public int Height { get; }

    public int Count { get; }

    /// <summary>Largest label + 1; an unlabelled file is one class.</summary>
    public int NumClasses => _classNames.Length;

    /// <summary>"0", "1", …: IDX files carry no names.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    public int Label(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _labels is null ? 0 : _labels[8 + index];
    }

    public RgbImage Load(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        int plane = Width * Height;
        var source = _pixels.AsSpan(16 + index * plane, plane);
        var rgb = new byte[plane * 3];
        for (int p = 0; p < plane; p++)
        {
            rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = source[p];
        }
        return new RgbImage(Width, Height, rgb);
    }

    public string Describe(int index) => $"idx:{ImagesFile}#{index}";

    /// <summary>
    /// A folder holding <c>train-images-idx3-ubyte[.gz]</c> (split "train"; "test"/"val"/"t10k" picks <c>t10k-*</c>)
    /// with its labels if present, or an image file, whose labels are looked for next to it
    /// (<c>…-images-idx3-ubyte</c> → <c>…-labels-idx1-ubyte</c>).
    /// </summary>
    /// <exception cref="DataException">The folder has no IDX files for <paramref name="split"/>, or a file is bad.</exception>
    public static IdxDataset Open(string path, string split = "train")
    {
        if (File.Exists(path))
        {
            string name = Path.GetFileName(path);
            string? labels = name.Contains("images-idx3-ubyte", StringComparison.Ordinal)
                ? FindVariant(Path.GetDirectoryName(Path.GetFullPath(path))!,
                    name.Replace("images-idx3-ubyte", "labels-idx1-ubyte", StringComparison.Ordinal).Replace(".gz", "", StringComparison.Ordinal))
                : null;
            return new IdxDataset(path, labels);
        }
        string prefix = split switch
        {
            "train" => "train",
            "test" or "val" or "t10k" => "t10k",
            _ => throw new DataException($"unknown split '{split}' for IDX data in {path} (expected train or test)"),
        };
        string images = FindVariant(path, $"{prefix}-images-idx3-ubyte")
            ?? throw new DataException($"no {prefix}-images-idx3-ubyte[.gz] in {path}");
        return new IdxDataset(images, FindVariant(path, $"{prefix}-labels-idx1-ubyte"));
    }

    /// <summary>Whether <see cref="Open"/> would treat <paramref name="path"/> as IDX data (by name, without reading it).</summary>
    public static bool IsIdxPath(string path) =>
        File.Exists(path)
            ? Path.GetFileName(path).Contains("idx3-ubyte", StringComparison.Ordinal)
            : Directory.Exists(path) && FindVariant(path, "train-images-idx3-ubyte") is not null;

    private static string? FindVariant(string dir, string baseName)
    {
        foreach (string candidate in new[] { baseName, baseName + ".gz" })
        {
            string full = Path.Combine(dir, candidate);
            if (File.Exists(full))
            {
                return full;
            }
        }
        return null;
    }

    private static byte[] ReadAll(string file)
    {
        try
        {
            using var stream = UserPaths.OpenRead(file, "IDX file", InputKind.Data);
            // Magic bytes, not the name, decide: a gzip stream starts 1F 8B, an IDX header starts 00 00.
            int first = stream.ReadByte();
            stream.Position = 0;
            if (first != 0x1F)
            {
                var raw = new byte[stream.Length];
                stream.ReadExactly(raw);
                return raw;
            }
            using var gzip = new GZipStream(stream, CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            gzip.CopyTo(buffer);
            return buffer.ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new DataException($"cannot read IDX file {file}: {e.Message}", e);
        }
    }
}
