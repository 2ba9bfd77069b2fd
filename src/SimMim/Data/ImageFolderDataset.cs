namespace SimMim.Data;

/// <summary>
/// torchvision's <c>ImageFolder</c>: one sub-folder per class, classes in ordinal name order, images found recursively
/// inside each. A folder that holds images directly (no class folders) is read as a single class.
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    /// <summary>torchvision's IMG_EXTENSIONS minus the formats SkiaSharp cannot read (ppm, pgm, tif).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly string[] _classNames;

    /// <exception cref="DataException">The folder does not exist, or it or one of its class folders has no images.</exception>
    public ImageFolderDataset(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DataException($"data path not found: {root}");
        }
        Root = Path.GetFullPath(root);

        var files = new List<string>();
        var labels = new List<int>();
        var classNames = new List<string>();
        if (ListImages(Root, SearchOption.TopDirectoryOnly).Any())
        {
            // ImageFolder would ignore these files; someone pointing at a folder of images means them.
            classNames.Add(Path.GetFileName(Root.TrimEnd(Path.DirectorySeparatorChar)));
            AddClass(Root, 0, files, labels);
        }
        else
        {
            // Hidden folders (.ipynb_checkpoints, .git) are never classes; ImageFolder would count them.
            var classDirs = Directory.EnumerateDirectories(Root)
                .Where(d => !Path.GetFileName(d).StartsWith('.'))
                .Order(StringComparer.Ordinal)
                .ToList();
            foreach (string dir in classDirs)
            {
                int before = files.Count;
                AddClass(dir, classNames.Count, files, labels);
                if (files.Count == before)
                {
                    // torchvision raises here too: an empty class would silently shift every later label.
                    throw new DataException($"class folder has no images ({string.Join(' ', Extensions)}): {dir}");
                }
                classNames.Add(Path.GetFileName(dir));
            }
        }
        if (files.Count == 0)
        {
            throw new DataException($"no images ({string.Join(' ', Extensions)}) found in {Root}");
        }

        _files = [.. files];
        _labels = [.. labels];
        _classNames = [.. classNames];
    }

    public string Root { get; }

    public int Count => _files.Length;

    public int NumClasses => _classNames.Length;

    public IReadOnlyList<string> ClassNames => _classNames;

    public int Label(int index) => _labels[index];

    public string Describe(int index) => _files[index];

    public RgbImage Load(int index)
    {
        // A corrupt file is fatal for now. STYLE.md's policy (count and skip, naming the path) will hook in here:
        // this is the only place a sample is decoded.
        return ImageDecoder.Decode(_files[index]);
    }

    private static void AddClass(string dir, int label, List<string> files, List<int> labels)
    {
        // Same order as ImageFolder's sorted(os.walk(...)) with sorted file names: by folder, then by name.
        var found = ListImages(dir, SearchOption.AllDirectories)
            .OrderBy(f => Path.GetDirectoryName(f), StringComparer.Ordinal)
            .ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal);
        foreach (string file in found)
        {
            files.Add(file);
            labels.Add(label);
        }
    }

    private static IEnumerable<string> ListImages(string dir, SearchOption option)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = option == SearchOption.AllDirectories,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden,
        };
        return Directory.EnumerateFiles(dir, "*", options)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()));
    }
}
