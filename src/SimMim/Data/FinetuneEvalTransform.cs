namespace SimMim.Data;

/// <summary>
/// The reference's fine-tune evaluation view (spec §5): Resize(int(256/224·S), bicubic) → CenterCrop(S) → ToTensor →
/// Normalize; with TEST.CROP false, Resize((S, S), bicubic) of the whole image instead.
/// </summary>
public static class FinetuneEvalTransform
{
    /// <summary>The resize target before the centre crop: int(256/224·S) (224 → 256, 192 → 219).</summary>
    public static int ResizeSize(int size) => (int)(256.0 / 224.0 * size);

    public static void Apply(RgbImage image, int size, bool crop, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (crop)
        {
            EvalTransform.Apply(image, ResizeSize(size), size, ResampleFilter.Bicubic, destination);
            return;
        }
        Resampler.Resize(image, 0, 0, image.Width, image.Height, 0, image.Width, 0, image.Height, size, flip: false,
            destination, ResampleFilter.Bicubic);
    }
}
