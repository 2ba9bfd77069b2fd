namespace SimMim.Checkpoints;

/// <summary>The encoder a state dict belongs to.</summary>
public enum EncoderFamily
{
    Unknown,
    Vit,
    Swin,
}
