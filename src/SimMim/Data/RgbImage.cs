namespace SimMim.Data;

/// <summary>An 8-bit RGB image, row-major HWC (what PIL's <c>convert('RGB')</c> gives the reference's transforms).</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != checked(width * height * 3))
        {
            throw new ArgumentException($"{width}×{height} RGB needs {width * height * 3} bytes, got {pixels.Length}", nameof(pixels));
        }
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Width·Height·3 bytes: R, G, B of pixel (0,0), then (1,0), …</summary>
    public byte[] Pixels { get; }
}
