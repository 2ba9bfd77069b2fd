namespace SimMim.Config;

/// <summary>
/// Marks a property of a config section that is not a YAML key: the loader refuses it, the writer leaves it out. The
/// encoder records (<c>VitConfig</c>, <c>SwinConfig</c>) are MODEL.VIT / MODEL.SWIN and carry a few values that the
/// encoder family fills in at build time from other keys (DATA.IMG_SIZE, MODEL.NUM_CLASSES, MODEL.DROP_PATH_RATE).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotAConfigKeyAttribute : Attribute
{
}
