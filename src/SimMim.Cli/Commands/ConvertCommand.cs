using System.ComponentModel;
using SimMim.Checkpoints;
using SimMim.Cli.Settings;
using SimMim.Config;
using SimMim.IO;
using SimMim.Models;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace SimMim.Cli.Commands;

/// <summary>`simmim convert`: between the reference's and Hugging Face's key layouts, and between .pth and .safetensors.</summary>
public sealed class ConvertCommand(IAnsiConsole console) : Command<ConvertCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<IN>")]
        [Description("Checkpoint to read: .pth/.pt/.bin (torch.save, zip or legacy; read without running code) or .safetensors")]
        public string Input { get; init; } = "";

        [CommandArgument(1, "<OUT>")]
        [Description("File to write; its extension picks the format: .pth/.pt/.bin or .safetensors")]
        public string Output { get; init; } = "";

        [CommandOption("--to <LAYOUT>")]
        [Description("Key layout to write: reference (microsoft/SimMIM) or hf (transformers Swin / BEiT). Default: the other one")]
        public string? To { get; init; }

        [CommandOption("--model-config <FILE>")]
        [Description("Config YAML of the model: gives DATA.IMG_SIZE, and the converted reference weights are checked to fit it")]
        public string? ModelConfig { get; init; }

        [CommandOption("--img-size <N>")]
        [Description("Image size (DATA.IMG_SIZE) for Swin's shifted-window masks when importing Hugging Face weights")]
        public int? ImgSize { get; init; }

        public override ValidationResult Validate()
        {
            if (ModelConfig is "")
                return ValidationResult.Error("--model-config needs a value: --model-config <FILE>");
            if (To is not null and not ("reference" or "hf"))
                return ValidationResult.Error($"--to must be reference or hf, got '{To}'");
            return FlagChecks.First(ImgSize is int size ? ConfigRanges.Of("DATA.IMG_SIZE").Check("--img-size", size) : null);
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        WeightFile.RequireKnownExtension(settings.Output);
        // Before anything is read: the converted file can be written where asked.
        UserPaths.EnsureWritableFile(settings.Output, "the converted weights");
        var config = settings.ModelConfig is { } file ? ConfigLoader.Load(file) : null;
        int? imgSize = settings.ImgSize ?? config?.Data.ImgSize;
        object? loaded = WeightFile.Load(settings.Input);
        try
        {
            var state = TorchFile.StateDict(loaded, settings.Input);
            var layout = CheckpointLayouts.Detect(state);
            if (layout == CheckpointLayout.Unknown)
                throw new CheckpointException($"{settings.Input}: unknown key layout (first key: {state.Keys.First()}); " +
                    "expected the reference's (encoder.*/decoder.0.*, or blocks.*/layers.* with head.*) or Hugging Face's (swin.*, beit.*)");
            bool isHf = layout is CheckpointLayout.HuggingFaceSwin or CheckpointLayout.HuggingFaceBeit;
            bool toHf = settings.To is null ? !isHf : settings.To == "hf";
            var converted = toHf == isHf ? state
                : toHf ? HuggingFaceKeys.ToHuggingFace(state, settings.Input)
                : HuggingFaceKeys.ToReference(state, settings.Input, imgSize);
            if (!toHf && config is not null)
                CheckFits(converted, config, settings.ModelConfig!);
            WeightFile.Save(settings.Output, converted, wrapInModel: !toHf);
            var newLayout = CheckpointLayouts.Detect(converted);
            console.MarkupLineInterpolated(
                $"wrote [green]{settings.Output}[/]: {converted.Count} tensors, {CheckpointSummary.ParameterCount(converted):N0} parameters, {CheckpointLayouts.Describe(newLayout)}");
            return 0;
        }
        finally
        {
            TorchFile.DisposeTensors(loaded);
        }
    }

    /// <summary>A strict load into the model the config describes: every missing, extra or misshapen key at once.</summary>
    private static void CheckFits(Dictionary<string, Tensor> state, SimMimConfig config, string configFile)
    {
        bool pretrain = CheckpointLayouts.Detect(state) == CheckpointLayout.ReferencePretrain;
        ConfigValidator.ValidateRun(config, pretrain ? ConfigStage.Pretrain : ConfigStage.Finetune, training: false, batch: 0);
        using nn.Module model = pretrain
            ? ModelFactory.BuildSimMim(config.Model, config.Data.ImgSize)
            : ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false);
        StateDicts.LoadStrict(model, state, $"converted weights vs {configFile}");
    }
}
