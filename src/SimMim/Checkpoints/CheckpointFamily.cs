namespace SimMim.Checkpoints;

/// <summary>The encoder a state dict belongs to, as its keys tell.</summary>
public enum CheckpointFamily
{
    Unknown,
    Vit,
    Swin,
}
