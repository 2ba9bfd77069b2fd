namespace SimMim.Data.Augment;

/// <summary>
/// The image operations timm's RandAugment draws from, named as in timm's auto_augment.py. An "Increasing" variant
/// is the same operation with a level mapping whose severity grows with the magnitude (see <see cref="AugmentLevels"/>).
/// </summary>
internal enum AugmentOp
{
    AutoContrast,
    Equalize,
    Invert,
    Rotate,
    Posterize,
    PosterizeIncreasing,
    Solarize,
    SolarizeIncreasing,
    SolarizeAdd,
    Color,
    ColorIncreasing,
    Contrast,
    ContrastIncreasing,
    Brightness,
    BrightnessIncreasing,
    Sharpness,
    SharpnessIncreasing,
    ShearX,
    ShearY,
    TranslateXRel,
    TranslateYRel,
}
