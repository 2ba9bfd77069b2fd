namespace SimMim.Data;

/// <summary>
/// Deterministic view of an image for reconstruction grids and evaluation: torchvision's Resize(S) (shorter side to
/// S, bilinear) → CenterCrop(S) → ToTensor → Normalize(ImageNet), written as float CHW.
/// </summary>
public static class EvalTransform
{
    public static void Apply(RgbImage image, int size, Span<float> destination) =>
        Apply(image, size, size, ResampleFilter.Bilinear, destination);

    /// <summary>Resize(<paramref name="resizeTo"/>) with <paramref name="filter"/> → CenterCrop(<paramref name="size"/>).</summary>
    public static void Apply(RgbImage image, int resizeTo, int size, ResampleFilter filter, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        ArgumentOutOfRangeException.ThrowIfLessThan(resizeTo, size);
        int w = image.Width, h = image.Height;
        // torchvision Resize(int): the shorter side becomes resizeTo, the longer one int(resizeTo·long/short).
        int resizedW = w <= h ? resizeTo : (int)((long)resizeTo * w / h);
        int resizedH = w <= h ? (int)((long)resizeTo * h / w) : resizeTo;
        // CenterCrop: int(round((resized − size) / 2)).
        int top = (int)Math.Round((resizedH - size) / 2.0);
        int left = (int)Math.Round((resizedW - size) / 2.0);
        double scaleX = (double)w / resizedW, scaleY = (double)h / resizedH;
        // Resizing the whole image and then cropping equals resampling the matching source box with the whole
        // image as the clip, which skips the pixels the crop would throw away.
        Resampler.Resize(image, left * scaleX, top * scaleY, size * scaleX, size * scaleY, 0, w, 0, h, size, flip: false, destination, filter);
    }
}
