namespace SimMim;

/// <summary>
/// A mistake in something the user gave us (a path, a config key, a data set, a checkpoint). The command-line front
/// end prints only <see cref="Exception.Message"/> (one line naming the file or key) and exits non-zero; anything
/// else that escapes is a bug and keeps its stack trace.
/// </summary>
public class SimMimUserException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Process exit code: 2 for usage and configuration errors, 1 for errors found at run time.</summary>
    public virtual int ExitCode => 1;
}

/// <summary>An unknown key, a value of the wrong type or an impossible combination of sizes.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : SimMimUserException(message, inner)
{
    public override int ExitCode => 2;
}

/// <summary>A data set that is missing, unreadable or empty.</summary>
public sealed class DataException(string message, Exception? inner = null) : SimMimUserException(message, inner);

/// <summary>A checkpoint that is missing, corrupt or of a different architecture.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : SimMimUserException(message, inner)
{
    public override int ExitCode => 2;
}

/// <summary>A multi-process launch that cannot work: no MPI library, an unsupported MPI, a failed MPI call, or ranks
/// that disagree (e.g. resuming from different checkpoints).</summary>
public sealed class DistributedException(string message, Exception? inner = null) : SimMimUserException(message, inner);

/// <summary>
/// An output that cannot be created or written: a file where a folder should be, a read-only or full file system, a
/// name too long, a run folder another run is writing to. <see cref="Reason"/> is the why alone, for messages that
/// name the path their own way.
/// </summary>
public sealed class OutputException(string message, string reason, Exception? inner = null) : SimMimUserException(message, inner)
{
    public string Reason { get; } = reason;
}
