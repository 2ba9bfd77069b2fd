namespace SimMim.Data;

/// <summary>
/// Random-access images with class labels (torchvision's <c>Dataset</c> contract). Implementations are safe to call
/// from several loader threads at once.
/// </summary>
public interface IImageDataset
{
    int Count { get; }

    int NumClasses { get; }

    IReadOnlyList<string> ClassNames { get; }

    int Label(int index);

    /// <exception cref="DataException">The sample cannot be read or decoded.</exception>
    RgbImage Load(int index);

    /// <summary>Where a sample comes from, for messages: a file path or <c>idx:&lt;file&gt;#&lt;i&gt;</c>.</summary>
    string Describe(int index);
}
