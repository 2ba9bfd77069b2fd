namespace SimMim.Checkpoints;

/// <summary>
/// A Python dict or collections.OrderedDict read from a pickle; keys keep the file's order. Through the non-generic
/// <see cref="System.Collections.IDictionary"/> indexer a missing key reads as null, as Python's <c>dict.get</c>.
/// </summary>
public sealed class PickleDict : Dictionary<object, object?>
{
    /// <summary>True when the pickle made a collections.OrderedDict (PyTorch state dicts are).</summary>
    public bool IsOrderedDict { get; init; }

    /// <summary>Instance attributes BUILD gave the dict (a state dict's <c>_metadata</c>), if any.</summary>
    public object? Attributes { get; internal set; }
}
