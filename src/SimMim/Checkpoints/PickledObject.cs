namespace SimMim.Checkpoints;

/// <summary>
/// Stands in for an object of a class the safe reader does not build (a yacs <c>CfgNode</c>, an
/// <c>argparse.Namespace</c>, a numpy scalar, apex state, or a hostile <c>os.system</c> call). Nothing of the class
/// is ever run: the reader only records its name and the arguments, items and state the pickle gave it, so the
/// contents stay readable (e.g. a reference checkpoint's config) without the object ever existing.
/// </summary>
public sealed class PickledObject(string className, IReadOnlyList<object?> arguments)
{
    /// <summary>The pickled global, "module.name" (e.g. "yacs.config.CfgNode", "posix.system").</summary>
    public string ClassName { get; } = className;

    /// <summary>The constructor or reduce arguments as the pickle gave them (already safely unpickled).</summary>
    public IReadOnlyList<object?> Arguments { get; } = arguments;

    /// <summary>What BUILD gave the object (its <c>__setstate__</c> argument, e.g. a CfgNode's <c>__dict__</c>), if anything.</summary>
    public object? State { get; internal set; }

    /// <summary>Items a pickle appended to the object (list subclasses).</summary>
    public List<object?> Items { get; } = [];

    /// <summary>Keys and values a pickle set on the object (dict subclasses such as yacs' CfgNode), in file order.</summary>
    public PickleDict Entries { get; } = [];

    public override string ToString() => $"<{ClassName}>";
}
