using SimMim.Data;
using SimMim.Masking;
using static TorchSharp.torch;

namespace SimMim.Visualization;

/// <summary>A fixed set of images and masks to reconstruct: the same ones every epoch, so grids can be compared.</summary>
public sealed class ReconstructionSamples : IDisposable
{
    private ReconstructionSamples(Tensor images, Tensor masks, IReadOnlyList<string> warnings)
    {
        Images = images;
        Masks = masks;
        Warnings = warnings;
    }

    /// <summary>(N,3,S,S) ImageNet-normalised.</summary>
    public Tensor Images { get; }

    /// <summary>(N,Ht,Wt) int64, 1 = masked.</summary>
    public Tensor Masks { get; }

    /// <summary>One line per image that could not be read and was left out; empty when every image was read.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>
    /// Up to <paramref name="count"/> evenly spaced images of <paramref name="dataset"/>, resized and centre-cropped,
    /// with seeded masks. An unreadable image is left out for the next readable one not already taken, so no image
    /// shows twice (a grid repeating one image would hide that the other could not be read). With
    /// <paramref name="skipped"/> the unreadable ones are recorded there and its warnings are the caller's to report;
    /// without, they are in <see cref="Warnings"/>.
    /// </summary>
    /// <exception cref="DataException">No image of the data set is readable.</exception>
    public static ReconstructionSamples Take(IImageDataset dataset, int imgSize, IMaskGenerator masks, int count, int seed,
        SkippedSamples? skipped = null)
    {
        int n = Math.Min(count, dataset.Count);
        var reader = skipped ?? new SkippedSamples(dataset);
        var tried = new HashSet<int>();
        var images = new List<RgbImage>();
        for (int i = 0; i < n; i++)
        {
            int start = (int)((long)i * dataset.Count / n);
            for (int k = 0; k < dataset.Count; k++)
            {
                int index = (start + k) % dataset.Count;
                if (!tried.Add(index)) continue;
                if (reader.TryLoad(index, out RgbImage? image))
                {
                    images.Add(image);
                    break;
                }
            }
        }
        IReadOnlyList<string> warnings = skipped is null ? reader.TakeWarnings() : [];
        if (images.Count == 0)
            throw new DataException($"no readable image to reconstruct among the {dataset.Count} of the data set ({string.Join("; ", warnings)})");
        return FromImages(images, imgSize, masks, seed, warnings);
    }

    /// <summary>
    /// The image files <paramref name="paths"/>, in order; one that cannot be read or decoded is left out with a line
    /// in <see cref="Warnings"/>.
    /// </summary>
    /// <exception cref="DataException">None of them can be read.</exception>
    public static ReconstructionSamples FromFiles(IReadOnlyList<string> paths, int imgSize, IMaskGenerator masks, int seed)
    {
        var images = new List<RgbImage>();
        var warnings = new List<string>();
        foreach (string path in paths)
        {
            try
            {
                images.Add(ImageDecoder.Decode(path));
            }
            catch (DataException e)
            {
                warnings.Add($"skipped an unreadable image: {e.Message}");
            }
        }
        if (images.Count == 0)
            throw new DataException($"none of the {paths.Count} images could be read: {string.Join("; ", warnings)}");
        return FromImages(images, imgSize, masks, seed, warnings);
    }

    public static ReconstructionSamples FromImages(IEnumerable<RgbImage> images, int imgSize, IMaskGenerator masks, int seed) =>
        FromImages(images, imgSize, masks, seed, []);

    private static ReconstructionSamples FromImages(IEnumerable<RgbImage> images, int imgSize, IMaskGenerator masks, int seed,
        IReadOnlyList<string> warnings)
    {
        var list = images.ToList();
        int pixels = 3 * imgSize * imgSize, tokens = masks.TokenGrid * masks.TokenGrid;
        var imageData = new float[list.Count * pixels];
        var maskData = new long[list.Count * tokens];
        var rng = new Random(seed);
        for (int i = 0; i < list.Count; i++)
        {
            EvalTransform.Apply(list[i], imgSize, imageData.AsSpan(i * pixels, pixels));
            masks.Generate(rng, maskData.AsSpan(i * tokens, tokens));
        }
        return new ReconstructionSamples(
            tensor(imageData, [list.Count, 3, imgSize, imgSize]),
            tensor(maskData, [list.Count, masks.TokenGrid, masks.TokenGrid]),
            warnings);
    }

    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
    }
}
