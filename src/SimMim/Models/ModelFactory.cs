using SimMim.Config;

namespace SimMim.Models;

/// <summary>Builds models from the yacs-shaped <see cref="ModelConfig"/> through the MODEL.TYPE family in <see cref="EncoderRegistry"/>.</summary>
public static class ModelFactory
{
    /// <summary>The SimMIM pretraining model for MODEL.TYPE at <paramref name="imgSize"/> (DATA.IMG_SIZE).</summary>
    /// <exception cref="ConfigException">Unknown MODEL.TYPE or impossible sizes; the message names the key.</exception>
    public static SimMimModel BuildSimMim(ModelConfig model, int imgSize) => new(BuildEncoder(model, imgSize, forSimMim: true));

    /// <summary>The encoder alone; <paramref name="forSimMim"/> false builds the fine-tune variant with MODEL.NUM_CLASSES.</summary>
    public static MaskedImageEncoder BuildEncoder(ModelConfig model, int imgSize, bool forSimMim) =>
        EncoderRegistry.Get(model.Type).Build(model, imgSize, forSimMim);
}
