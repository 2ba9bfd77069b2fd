using System.Buffers;
using System.Runtime.InteropServices;
using SimMim.IO;
using SkiaSharp;

namespace SimMim.Data;

/// <summary>
/// Decodes an image file to RGB with SkiaSharp, matching PIL's <c>Image.open(f).convert('RGB')</c> for 8-bit images
/// (RGB, RGBA, grayscale, palette, CMYK JPEG). 16-bit PNGs are scaled to 8 bits (the high byte); PIL clips them to
/// 255 instead, which turns most of such an image white.
/// </summary>
public static class ImageDecoder
{
    // PIL's DecompressionBombError threshold (2 × Image.MAX_IMAGE_PIXELS): larger claims are refused undecoded.
    private const long MaxPixels = 2L * 89_478_485;

    /// <exception cref="DataException">The file cannot be read or decoded; the message names it and says why.</exception>
    public static RgbImage Decode(string path)
    {
        // Reading first gives the operating system's reason (missing, permission denied, a symlink loop) rather
        // than a decoder's generic failure.
        byte[] bytes = UserPaths.ReadAllBytes(path, "image", InputKind.Data);
        if (bytes.Length == 0)
        {
            throw new DataException($"cannot decode image {path}: the file is empty");
        }
        // The codec takes ownership of the stream (and frees it even when it cannot decode).
        using var codec = SKCodec.Create(new SKMemoryStream(bytes), out SKCodecResult openResult);
        if (codec is null)
        {
            throw new DataException($"cannot decode image {path}: {openResult} (not an image, or a format this build cannot read)");
        }

        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0)
        {
            throw new DataException($"cannot decode image {path}: empty image ({width}×{height})");
        }
        if ((long)width * height > MaxPixels)
        {
            throw new DataException($"cannot decode image {path}: {width}×{height} pixels is more than {MaxPixels} (a decompression bomb?)");
        }
        // Rgba8888 gives R,G,B byte order (the platform default is BGRA); Unpremul keeps the stored colour of
        // translucent pixels, so dropping alpha below is what PIL's convert('RGB') does. Grayscale and palette
        // images expand to R = G = B here. For GIF and animated WebP this is the first frame, as PIL's is.
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        int rgbaLength = checked(width * height * 4);
        byte[] rgba = ArrayPool<byte>.Shared.Rent(rgbaLength);
        try
        {
            SKCodecResult result;
            var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
            try
            {
                result = codec.GetPixels(info, handle.AddrOfPinnedObject());
            }
            finally
            {
                handle.Free();
            }
            // IncompleteInput is a truncated file: PIL refuses those too ("image file is truncated").
            if (result != SKCodecResult.Success)
            {
                throw new DataException($"cannot decode image {path}: {result}");
            }

            var rgb = new byte[width * height * 3];
            for (int p = 0, q = 0; q < rgb.Length; p += 4, q += 3)
            {
                rgb[q] = rgba[p];
                rgb[q + 1] = rgba[p + 1];
                rgb[q + 2] = rgba[p + 2];
            }
            return new RgbImage(width, height, rgb);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rgba);
        }
    }
}
