namespace SimMim.Checkpoints;

/// <summary>A pickled global that was referenced but not called: a class or function the reader leaves opaque.</summary>
public sealed record PickledGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";

    public override string ToString() => FullName;
}
