using System.Globalization;
using System.Text;
using SimMim.Data;
using SimMim.Data.Augment;
using SimMim.Tests.Interop;

namespace SimMim.Tests.Data.Augment;

/// <summary>
/// Every RandAugment op against Pillow itself (Debian's python3-pil 9.4 beside python3-torch, installed by
/// scripts/setup.sh): the same images and arguments through PIL's calls as timm makes them must give the same bytes.
/// </summary>
public class PilParityTests
{
    // timm's op functions, written against PIL's public API (fill = the ImageNet-mean fill create_transform passes).
    private const string Script = """
        import sys
        from PIL import Image, ImageOps, ImageEnhance

        FILL = (124, 116, 104)
        FILTERS = {"Bilinear": Image.BILINEAR, "Bicubic": Image.BICUBIC}

        def affine(img, matrix, flt):
            return img.transform(img.size, Image.AFFINE, matrix, resample=FILTERS[flt], fillcolor=FILL)

        def run(img, op, arg, flt):
            a = float(arg)
            if op == "AutoContrast": return ImageOps.autocontrast(img)
            if op == "Equalize": return ImageOps.equalize(img)
            if op == "Invert": return ImageOps.invert(img)
            if op == "Posterize": return img if int(a) >= 8 else ImageOps.posterize(img, int(a))
            if op == "Solarize": return ImageOps.solarize(img, int(a))
            if op == "SolarizeAdd":
                lut = [min(255, i + int(a)) if i < 128 else i for i in range(256)]
                return img.point(lut * 3)
            if op == "Color": return ImageEnhance.Color(img).enhance(a)
            if op == "Contrast": return ImageEnhance.Contrast(img).enhance(a)
            if op == "Brightness": return ImageEnhance.Brightness(img).enhance(a)
            if op == "Sharpness": return ImageEnhance.Sharpness(img).enhance(a)
            if op == "Rotate": return img.rotate(a, resample=FILTERS[flt], fillcolor=FILL)
            if op == "ShearX": return affine(img, (1, a, 0, 0, 1, 0), flt)
            if op == "ShearY": return affine(img, (1, 0, 0, a, 1, 0), flt)
            if op == "TranslateXRel": return affine(img, (1, 0, a * img.size[0], 0, 1, 0), flt)
            if op == "TranslateYRel": return affine(img, (1, 0, 0, 0, 1, a * img.size[1]), flt)
            raise ValueError(op)

        with open(sys.argv[1]) as cases, open(sys.argv[2], "wb") as out:
            for line in cases:
                w, h, pixels, op, arg, flt = line.split()
                img = Image.frombytes("RGB", (int(w), int(h)), bytes.fromhex(pixels))
                out.write(run(img, op, arg, flt).tobytes())
        """;

    private sealed record Case(RgbImage Image, AugmentOp Op, double Argument, ResampleFilter Filter);

    [Fact]
    public void EveryOpMatchesPillowByteForByte()
    {
        var cases = Cases();
        using var dir = new InteropTempDir();
        var lines = new StringBuilder();
        foreach (var c in cases)
        {
            lines.Append(CultureInfo.InvariantCulture,
                $"{c.Image.Width} {c.Image.Height} {Convert.ToHexString(c.Image.Pixels)} {c.Op} {c.Argument:R} {c.Filter}\n");
        }
        File.WriteAllText(dir.File("cases.txt"), lines.ToString());
        InteropPython.Run(Script, dir.File("cases.txt"), dir.File("out.bin"));
        byte[] expected = File.ReadAllBytes(dir.File("out.bin"));
        Assert.Equal(cases.Sum(c => c.Image.Pixels.Length), expected.Length);

        var mismatches = new List<string>();
        int offset = 0;
        foreach (var c in cases)
        {
            byte[] ours = (byte[])c.Image.Pixels.Clone();
            var scratch = new byte[ours.Length];
            new RandAugment(new RandAugmentPolicy(), c.Filter, RandAugment.ImageNetFill)
                .ApplyOp(c.Op, c.Argument, ours, c.Image.Width, c.Image.Height, scratch);
            var pil = expected.AsSpan(offset, ours.Length);
            int differing = 0, first = -1;
            for (int i = 0; i < ours.Length; i++)
            {
                if (ours[i] == pil[i])
                    continue;
                differing++;
                if (first < 0)
                    first = i;
            }
            if (differing > 0)
            {
                mismatches.Add($"{c.Op}({c.Argument:R}, {c.Filter}) on {c.Image.Width}×{c.Image.Height}: {differing} bytes differ, " +
                               $"first at {first} (ours {ours[first]}, PIL {pil[first]})");
            }
            offset += ours.Length;
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.Count} cases differ:\n" + string.Join("\n", mismatches.Take(20)));
    }

    private static List<Case> Cases()
    {
        var rng = new Random(20240611);
        RgbImage[] images = [Noise(23, 17, rng, 0, 256), Gradient(32, 32, rng), Noise(16, 20, rng, 60, 121), Noise(2, 5, rng, 0, 256)];
        var cases = new List<Case>();
        foreach (var image in images)
        {
            void Add(AugmentOp op, double argument, ResampleFilter filter = ResampleFilter.Bicubic) =>
                cases.Add(new Case(image, op, argument, filter));

            Add(AugmentOp.AutoContrast, 0);
            Add(AugmentOp.Equalize, 0);
            Add(AugmentOp.Invert, 0);
            foreach (int bits in new[] { -1, 0, 1, 3, 4, 8 })
                Add(AugmentOp.Posterize, bits);
            foreach (int threshold in new[] { 0, 26, 128, 255, 256 })
                Add(AugmentOp.Solarize, threshold);
            foreach (int add in new[] { 0, 33, 99, 110 })
                Add(AugmentOp.SolarizeAdd, add);
            foreach (var op in new[] { AugmentOp.Color, AugmentOp.Contrast, AugmentOp.Brightness, AugmentOp.Sharpness })
            {
                foreach (double factor in new[] { 0.0, 0.1, 0.5, 1.0, 1.9 })
                    Add(op, factor);
                for (int i = 0; i < 6; i++)
                    Add(op, 0.1 + 1.8 * rng.NextDouble());
            }
            foreach (var filter in new[] { ResampleFilter.Bicubic, ResampleFilter.Bilinear })
            {
                foreach (double degrees in new[] { 0.0, 90.0, -90.0, 180.0, 30.0, -30.0, 27.0 })
                    Add(AugmentOp.Rotate, degrees, filter);
                foreach (var op in new[] { AugmentOp.ShearX, AugmentOp.ShearY, AugmentOp.TranslateXRel, AugmentOp.TranslateYRel })
                {
                    Add(op, 0.3, filter);
                    Add(op, -0.27, filter);
                }
                for (int i = 0; i < 12; i++)
                {
                    double level = 10 * rng.NextDouble();
                    Add(AugmentOp.Rotate, AugmentLevels.Argument(AugmentOp.Rotate, level, rng), filter);
                    Add(AugmentOp.ShearX, AugmentLevels.Argument(AugmentOp.ShearX, level, rng), filter);
                    Add(AugmentOp.ShearY, AugmentLevels.Argument(AugmentOp.ShearY, level, rng), filter);
                    Add(AugmentOp.TranslateXRel, AugmentLevels.Argument(AugmentOp.TranslateXRel, level, rng), filter);
                    Add(AugmentOp.TranslateYRel, AugmentLevels.Argument(AugmentOp.TranslateYRel, level, rng), filter);
                }
            }
        }
        return cases;
    }

    private static RgbImage Noise(int width, int height, Random rng, int low, int high)
    {
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)rng.Next(low, high);
        return new RgbImage(width, height, pixels);
    }

    // Smooth ramps with a little noise: the geometric filters' interpolation shows on it, not just the edge handling.
    private static RgbImage Gradient(int width, int height, Random rng)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int p = 3 * (y * width + x);
                pixels[p] = (byte)Math.Clamp(8 * x + rng.Next(-3, 4), 0, 255);
                pixels[p + 1] = (byte)Math.Clamp(7 * y + 20 + rng.Next(-3, 4), 0, 255);
                pixels[p + 2] = (byte)Math.Clamp(4 * (x + y) + rng.Next(-3, 4), 0, 255);
            }
        }
        return new RgbImage(width, height, pixels);
    }
}
