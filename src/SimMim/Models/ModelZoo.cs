using SimMim.Models.Swin;
using SimMim.Models.Vit;

namespace SimMim.Models;

/// <summary>
/// Named encoder presets (timm-style names). The reference sizes, plus CPU-sized ones for 28×28 Fashion-MNIST
/// upscaled to 32 px: <c>vit_tiny_patch4_32</c> and <c>swin_mini_patch2_window4_32</c>.
/// </summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, object> Presets = new()
    {
        ["swin_tiny_patch4_window7_224"] = SwinConfig.Tiny,
        ["swin_small_patch4_window7_224"] = SwinConfig.Small,
        ["swin_base_patch4_window6_192"] = SwinConfig.Base with { ImgSize = 192, WindowSize = 6 },
        ["swin_large_patch4_window12_192"] = SwinConfig.Large with { ImgSize = 192, WindowSize = 12 },
        ["vit_base_patch16_224"] = VitConfig.Base,
        ["vit_tiny_patch4_32"] = VitConfig.Tiny,
        ["swin_mini_patch2_window4_32"] = SwinConfig.Mini,
    };

    public static IReadOnlyCollection<string> Names => Presets.Keys;

    /// <summary>The preset's config record (<see cref="SwinConfig"/> or <see cref="VitConfig"/>).</summary>
    /// <exception cref="ConfigException">Unknown name.</exception>
    public static object Get(string name) => Presets.TryGetValue(name, out var config)
        ? config
        : throw new ConfigException($"MODEL.NAME: unknown model '{name}' (known: {string.Join(", ", Presets.Keys)})");

    /// <summary>Builds the encoder of a preset, optionally at another image size.</summary>
    public static MaskedImageEncoder BuildEncoder(string name, bool forSimMim, int? imgSize = null) => Get(name) switch
    {
        SwinConfig s => new SwinTransformer(imgSize is int i ? s with { ImgSize = i } : s, forSimMim),
        VitConfig v => new VisionTransformer(imgSize is int i ? v with { ImgSize = i } : v, forSimMim),
        _ => throw new InvalidOperationException($"preset {name} has no encoder"),
    };

    /// <summary>The SimMIM pretraining model of a preset.</summary>
    public static SimMimModel BuildSimMim(string name, int? imgSize = null) => new(BuildEncoder(name, forSimMim: true, imgSize));
}
