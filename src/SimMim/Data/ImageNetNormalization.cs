namespace SimMim.Data;

/// <summary>timm's IMAGENET_DEFAULT_MEAN/STD, used by every SimMIM pipeline (spec §5).</summary>
public static class ImageNetNormalization
{
    public static ReadOnlySpan<float> Mean => [0.485f, 0.456f, 0.406f];

    public static ReadOnlySpan<float> Std => [0.229f, 0.224f, 0.225f];

    /// <summary>ToTensor then Normalize for one 8-bit channel value, in float32 as torchvision computes it.</summary>
    public static float Normalize(byte value, int channel) => Normalize(value / 255f, channel);

    /// <summary>(unit − mean) / std for a value in [0, 1].</summary>
    public static float Normalize(float unit, int channel) => (unit - Mean[channel]) / Std[channel];

    /// <summary>Back to [0, 1] (unclamped): value · std + mean.</summary>
    public static float Denormalize(float value, int channel) => value * Std[channel] + Mean[channel];
}
