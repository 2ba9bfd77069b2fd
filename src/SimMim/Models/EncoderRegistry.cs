using SimMim.Config;
using SimMim.Models.Swin;
using SimMim.Models.Vit;

namespace SimMim.Models;

/// <summary>The encoder families by MODEL.TYPE. A new family is its folder plus one line here.</summary>
public static class EncoderRegistry
{
    private static readonly EncoderFamily[] s_families =
    [
        SwinFamily.Instance,
        VitFamily.Instance,
    ];

    public static IReadOnlyList<EncoderFamily> Families => s_families;

    /// <summary>The MODEL.TYPE values, in registration order.</summary>
    public static IEnumerable<string> Types => s_families.Select(f => f.Type);

    /// <summary>The family whose MODEL.TYPE is exactly <paramref name="type"/>, or null.</summary>
    public static EncoderFamily? Find(string type) => s_families.FirstOrDefault(f => f.Type == type);

    /// <summary>The family of MODEL.TYPE (any case).</summary>
    /// <exception cref="ConfigException">Unknown MODEL.TYPE.</exception>
    public static EncoderFamily Get(string type) => Find(type.ToLowerInvariant())
        ?? throw new ConfigException($"MODEL.TYPE: unknown model type '{type}' (expected {string.Join(" or ", Types)})");

    /// <summary>The family of a built encoder.</summary>
    public static EncoderFamily Of(MaskedImageEncoder encoder) => s_families.FirstOrDefault(f => f.Owns(encoder))
        ?? throw new ArgumentException($"no encoder family for {encoder.GetType().Name}", nameof(encoder));
}
