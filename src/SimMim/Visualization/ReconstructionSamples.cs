using SimMim.Data;
using SimMim.Masking;
using static TorchSharp.torch;

namespace SimMim.Visualization;

/// <summary>A fixed set of images and masks to reconstruct: the same ones every epoch, so grids can be compared.</summary>
public sealed class ReconstructionSamples : IDisposable
{
    private ReconstructionSamples(Tensor images, Tensor masks)
    {
        Images = images;
        Masks = masks;
    }

    /// <summary>(N,3,S,S) ImageNet-normalised.</summary>
    public Tensor Images { get; }

    /// <summary>(N,Ht,Wt) int64, 1 = masked.</summary>
    public Tensor Masks { get; }

    /// <summary>
    /// Evenly spaced images of <paramref name="dataset"/>, resized and centre-cropped, with seeded masks; an unreadable
    /// one is replaced by the next readable image (recorded in <paramref name="skipped"/> when given).
    /// </summary>
    public static ReconstructionSamples Take(IImageDataset dataset, int imgSize, IMaskGenerator masks, int count, int seed,
        SkippedSamples? skipped = null)
    {
        int n = Math.Min(count, dataset.Count);
        var reader = skipped ?? new SkippedSamples(dataset);
        int[] inOrder = [.. Enumerable.Range(0, dataset.Count)];
        var images = Enumerable.Range(0, n).Select(i => reader.LoadOrStandIn(inOrder, (int)((long)i * dataset.Count / n)).Image);
        return FromImages(images, imgSize, masks, seed);
    }

    public static ReconstructionSamples FromImages(IEnumerable<RgbImage> images, int imgSize, IMaskGenerator masks, int seed)
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
            tensor(maskData, [list.Count, masks.TokenGrid, masks.TokenGrid]));
    }

    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
    }
}
