namespace SimMim.IO;

/// <summary>What a user-given input path is: it decides the kind of error, and so the exit code, when it cannot be read.</summary>
public enum InputKind
{
    /// <summary>A config YAML (<c>--cfg</c>, <c>--model-config</c>, BASE includes): <see cref="ConfigException"/>, exit 2.</summary>
    Config,

    /// <summary>A checkpoint or weights file (<c>--resume</c>, <c>--pretrained</c>, <c>--checkpoint</c>, inspect, convert): <see cref="CheckpointException"/>, exit 2.</summary>
    Checkpoint,

    /// <summary>A data set, image or IDX file: <see cref="DataException"/>, exit 1.</summary>
    Data,
}
