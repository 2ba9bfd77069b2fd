using SimMim.Config;

namespace SimMim.Masking;

/// <summary>The one factory from the config to a mask generator.</summary>
public static class MaskGenerators
{
    /// <summary>
    /// The generator DATA asks for, drawing masks over the encoder's tokens of side
    /// <paramref name="modelPatchSize"/> pixels. Today that is the reference's random block mask; a new generator is
    /// one class implementing <see cref="IMaskGenerator"/> and one case here.
    /// </summary>
    /// <exception cref="ConfigException">The sizes do not divide each other or the ratio is out of range.</exception>
    public static IMaskGenerator FromConfig(DataConfig data, int modelPatchSize) =>
        new RandomMaskGenerator(data.ImgSize, data.MaskPatchSize, modelPatchSize, data.MaskRatio);
}
