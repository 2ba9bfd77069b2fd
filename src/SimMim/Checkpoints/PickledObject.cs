namespace SimMim.Checkpoints;

/// <summary>
/// Stands in for an object of a class the safe reader does not build (a yacs <c>CfgNode</c>, an
/// <c>argparse.Namespace</c>, a numpy scalar, apex state, or a hostile <c>os.system</c> call). Nothing of the class
/// is ever run: the reader only records its name and the arguments and state the pickle gave it.
/// </summary>
public sealed class PickledObject(string className, IReadOnlyList<object?> arguments)
{
    /// <summary>The pickled global, "module.name" (e.g. "yacs.config.CfgNode", "posix.system").</summary>
    public string ClassName { get; } = className;

    /// <summary>The constructor or reduce arguments as the pickle gave them (already safely unpickled).</summary>
    public IReadOnlyList<object?> Arguments { get; } = arguments;

    /// <summary>What BUILD gave the object (its <c>__setstate__</c> argument), if anything.</summary>
    public object? State { get; internal set; }

    /// <summary>Items a pickle appended or set on the object (dict and list subclasses such as CfgNode).</summary>
    public List<object?> Items { get; } = [];

    public override string ToString() => $"<{ClassName}>";
}
