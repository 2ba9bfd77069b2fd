using System.Runtime.InteropServices;
using SimMim.IO;

namespace SimMim.Data;

/// <summary>
/// torchvision's <c>ImageFolder</c>: one sub-folder per class, classes in ordinal name order, images found recursively
/// inside each (following symbolic links, as ImageFolder does, but never round a loop). A folder that holds images
/// directly (no class folders) is read as a single class. What is left out is counted in <see cref="Warnings"/>: files
/// that are not images by their extension, formats this build cannot decode, symbolic-link loops, folders that cannot
/// be listed, and class folders without images (their label is kept, so later labels do not shift).
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    /// <summary>torchvision's IMG_EXTENSIONS minus the formats SkiaSharp cannot read (ppm, pgm, tif).</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    // In torchvision's IMG_EXTENSIONS, but not decodable here: skipped with a warning rather than silently.
    private static readonly string[] s_undecodable = [".ppm", ".pgm", ".pbm", ".tif", ".tiff"];

    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly string[] _classNames;

    /// <exception cref="DataException">The folder does not exist, cannot be listed or holds no images at all.</exception>
    public ImageFolderDataset(string root)
    {
        UserPaths.RequireDirectory(root, "image folder", InputKind.Data);
        Root = Path.GetFullPath(root);
        try
        {
            (_files, _labels, _classNames, Warnings) = List(Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"cannot list the data folder {Root}: {e.Message}", e);
        }
    }

    public string Root { get; }

    public int Count => _files.Length;

    public int NumClasses => _classNames.Length;

    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>What was left out while listing the folder, one line per kind (see the class summary).</summary>
    public IReadOnlyList<string> Warnings { get; }

    public int Label(int index) => _labels[index];

    public string Describe(int index) => _files[index];

    /// <remarks>Throws for an unreadable file; the loaders count it and stand in another sample (see <see cref="SkippedSamples"/>).</remarks>
    public RgbImage Load(int index) => ImageDecoder.Decode(_files[index]);

    private static (string[] Files, int[] Labels, string[] ClassNames, IReadOnlyList<string> Warnings) List(string root)
    {
        var files = new List<string>();
        var labels = new List<int>();
        var classNames = new List<string>();
        var walk = new FolderWalk();
        // Hidden folders (.ipynb_checkpoints, .git) are never classes; ImageFolder would count them.
        var classDirs = Directory.EnumerateDirectories(root, "*", FolderWalk.OneLevel)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (walk.HasImagesAtTop(root) || classDirs.Count == 0)
        {
            // ImageFolder would ignore these files; someone pointing at a folder of images means them.
            classNames.Add(Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)));
            AddClass(walk.Images(root), 0, files, labels);
        }
        else
        {
            foreach (string dir in classDirs)
            {
                List<string> found = walk.Images(dir);
                if (found.Count == 0)
                {
                    // torchvision raises here; keeping the class (and its label) keeps every later label in place.
                    walk.Warn($"class folder has no images ({string.Join(' ', Extensions)}): {dir}; its label {classNames.Count} stays unused");
                }
                AddClass(found, classNames.Count, files, labels);
                classNames.Add(Path.GetFileName(dir));
            }
        }
        if (files.Count == 0)
        {
            string why = walk.Summary() is { Count: > 0 } left ? $" ({string.Join("; ", left)})" : "";
            throw new DataException($"no images ({string.Join(' ', Extensions)}) found in {root}{why}");
        }
        return ([.. files], [.. labels], [.. classNames], walk.Summary());
    }

    private static void AddClass(List<string> found, int label, List<string> files, List<int> labels)
    {
        // Same order as ImageFolder's sorted(os.walk(...)) with sorted file names: by folder, then by name.
        foreach (string file in found
                     .OrderBy(f => Path.GetDirectoryName(f), StringComparer.Ordinal)
                     .ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal))
        {
            files.Add(file);
            labels.Add(label);
        }
    }

    /// <summary>A recursive listing that follows symbolic links but stops at a folder already on its own path.</summary>
    private sealed class FolderWalk
    {
        public static readonly EnumerationOptions OneLevel = new()
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = false,
            AttributesToSkip = FileAttributes.Hidden,
        };

        private readonly List<string> _warnings = [];
        private readonly List<string> _notImages = [];
        private readonly List<string> _undecodable = [];
        private readonly List<string> _loops = [];

        public bool HasImagesAtTop(string dir) =>
            Directory.EnumerateFiles(dir, "*", OneLevel).Any(f => Extensions.Contains(Extension(f)));

        public List<string> Images(string dir)
        {
            var found = new List<string>();
            Visit(dir, [], found);
            return found;
        }

        public void Warn(string line) => _warnings.Add(line);

        public IReadOnlyList<string> Summary()
        {
            var lines = new List<string>(_warnings);
            if (_notImages.Count > 0)
                lines.Add($"ignored {_notImages.Count} files that are not images by their extension (e.g. {_notImages[0]})");
            if (_undecodable.Count > 0)
                lines.Add($"skipped {_undecodable.Count} images in formats this build cannot decode ({string.Join(' ', s_undecodable)}; e.g. {_undecodable[0]})");
            if (_loops.Count > 0)
                lines.Add($"did not follow {_loops.Count} symbolic links that loop back to a folder above them (e.g. {_loops[0]})");
            return lines;
        }

        private void Visit(string dir, HashSet<string> ancestors, List<string> found)
        {
            string real = RealPath(dir);
            if (ancestors.Contains(real))
            {
                _loops.Add(dir);
                return;
            }
            List<string> entries, subdirs;
            try
            {
                entries = Directory.EnumerateFiles(dir, "*", OneLevel).ToList();
                subdirs = Directory.EnumerateDirectories(dir, "*", OneLevel).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _warnings.Add($"cannot list {dir}: {e.Message}");
                return;
            }
            foreach (string file in entries)
            {
                string extension = Extension(file);
                if (Extensions.Contains(extension)) found.Add(file);
                else if (s_undecodable.Contains(extension)) _undecodable.Add(file);
                else _notImages.Add(file);
            }
            ancestors.Add(real);
            foreach (string sub in subdirs)
                Visit(sub, ancestors, found);
            ancestors.Remove(real);
        }

        private static string Extension(string file) => Path.GetExtension(file).ToLowerInvariant();

        // The canonical path (every symbolic link resolved), so a loop is seen however it is reached.
        private static string RealPath(string path)
        {
            if (OperatingSystem.IsWindows()) return Path.GetFullPath(path);
            IntPtr resolved = realpath(path, IntPtr.Zero);
            if (resolved == IntPtr.Zero) return Path.GetFullPath(path);
            try
            {
                return Marshal.PtrToStringUTF8(resolved) ?? path;
            }
            finally
            {
                free(resolved);
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

        [DllImport("libc")]
        private static extern void free(IntPtr pointer);
    }
}
