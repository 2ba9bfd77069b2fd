using System.ComponentModel;
using SimMim.Checkpoints;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.Data;
using SimMim.IO;
using SimMim.Masking;
using SimMim.Models;
using SimMim.Visualization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`simmim reconstruct`: a reconstruction grid for given images (or the first images of a data set).</summary>
public sealed class ReconstructCommand(IAnsiConsole console) : Command<ReconstructCommand.Settings>
{
    public sealed class Settings : ConfigSettings
    {
        [CommandArgument(0, "[IMAGES]")]
        [Description("Image files to reconstruct. Default: images from --data-path (or DATA.DATA_PATH).")]
        public string[] Images { get; init; } = [];

        [CommandOption("--checkpoint <CKPT>")]
        [Description("Pretraining checkpoint (.pth) whose model to use")]
        public string? Checkpoint { get; init; }

        [CommandOption("--output <FILE>")]
        [Description("Where to write the grid; the extension picks the format: .png, .jpg/.jpeg or .webp. Default: reconstruction.png")]
        public string Output { get; init; } = "reconstruction.png";

        [CommandOption("--count <N>")]
        [Description("How many data-set images when no files are given. Default: 8")]
        public int Count { get; init; } = 8;

        [CommandOption("--seed <N>")]
        [Description("Seed of the random masks. Default: SEED")]
        public int? Seed { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrEmpty(Checkpoint))
                return ValidationResult.Error("--checkpoint is required");
            var result = FlagChecks.First(OptionRanges.ReconstructCount.Check("--count", Count),
                Seed is int seed ? ConfigRanges.Of("SEED").Check("--seed", seed) : null);
            return result.Successful ? base.Validate() : result;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var config = settings.LoadConfig();
        int images = settings.Images.Length > 0 ? settings.Images.Length : settings.Count;
        ConfigValidator.ValidateRun(config, ConfigStage.Pretrain, training: false, batch: images);
        // Before the model is built: the grid can be written where asked, in the format its name says.
        UserPaths.EnsureWritableFile(settings.Output, "the reconstruction grid");
        ReconstructionGrid.FormatOf(settings.Output);
        UserPaths.RequireFile(settings.Checkpoint!, "checkpoint", InputKind.Checkpoint);
        settings.ApplyThreads();
        int imgSize = config.Data.ImgSize;
        using var model = ModelFactory.BuildSimMim(config.Model, imgSize);
        TrainingCheckpoint.LoadWeights(settings.Checkpoint!, model);
        IMaskGenerator masks = MaskGenerators.FromConfig(config.Data, model.ModelPatchSize);
        int seed = settings.Seed ?? config.Seed;
        using var samples = settings.Images.Length > 0
            ? ReconstructionSamples.FromFiles(settings.Images, imgSize, masks, seed)
            : ReconstructionSamples.Take(DatasetFactory.Open(config.Data.DataPath), imgSize, masks, settings.Count, seed);
        foreach (string warning in samples.Warnings)
        {
            // Written past Spectre's wrapping, so that a long path keeps the warning one line.
            console.Markup("[yellow]warning:[/] ");
            console.Profile.Out.Writer.WriteLine(warning);
        }
        ReconstructionGrid.Write(model, samples, settings.Output);
        console.MarkupLineInterpolated($"wrote [green]{settings.Output}[/] ({samples.Images.shape[0]} images)");
        return 0;
    }
}
