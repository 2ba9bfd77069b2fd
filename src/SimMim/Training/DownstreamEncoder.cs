using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.IO;
using SimMim.Models;

namespace SimMim.Training;

/// <summary>The encoder of a fine-tuning or linear-probe run.</summary>
internal static class DownstreamEncoder
{
    /// <summary>The pretraining checkpoint to start from: the option (--pretrained), else PRETRAINED; null for none.</summary>
    /// <exception cref="CheckpointException">The checkpoint does not exist (or is a folder).</exception>
    public static string? PretrainedPath(string? option, SimMimConfig config)
    {
        string? path = option is { Length: > 0 } p ? p : config.Pretrained is { Length: > 0 } c ? c : null;
        if (path is not null)
            UserPaths.RequireFile(path, "pretrained checkpoint", InputKind.Checkpoint);
        return path;
    }

    /// <summary>
    /// The downstream encoder, with a SimMIM pretraining checkpoint loaded into it when one is given; what was
    /// loaded, missing, unexpected and interpolated goes to the log and the observer. The caller owns the encoder.
    /// </summary>
    public static (MaskedImageEncoder Encoder, LoadResult? Loaded) Build(ModelConfig model, int imgSize, string? pretrained,
        RunReporter reporter)
    {
        MaskedImageEncoder encoder = ModelFactory.BuildEncoder(model, imgSize, forSimMim: false);
        if (pretrained is null)
            return (encoder, null);
        try
        {
            LoadResult loaded = PretrainedLoader.LoadPretrained(pretrained, encoder);
            foreach (string line in FineTuner.DescribeLoad(pretrained, loaded))
                reporter.Message(line);
            return (encoder, loaded);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }
}
