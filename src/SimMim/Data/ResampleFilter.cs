namespace SimMim.Data;

/// <summary>The resampling kernels the transforms use: PIL's BILINEAR (pretraining) and BICUBIC (fine-tuning).</summary>
public enum ResampleFilter
{
    Bilinear,
    Bicubic,
}
