using System.ComponentModel;
using SimMim.Checkpoints;
using Spectre.Console;
using Spectre.Console.Cli;

namespace SimMim.Cli.Commands;

/// <summary>`simmim inspect`: keys, shapes and dtypes of a checkpoint, its layout and, for training checkpoints, the run state.</summary>
public sealed class InspectCommand(IAnsiConsole console) : Command<InspectCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<CKPT>")]
        [Description("Checkpoint: .pth/.pt/.bin (torch.save, read without running code) or .safetensors")]
        public string Checkpoint { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        object? loaded = WeightFile.Load(settings.Checkpoint);
        try
        {
            var state = TorchFile.StateDict(loaded, settings.Checkpoint);
            var table = new Table().AddColumns("key", "shape", "dtype");
            foreach (var (key, tensor) in state)
                table.AddRow(Markup.Escape(key), $"({string.Join(", ", tensor.shape)})", tensor.dtype.ToString());
            console.Write(table);
            var layout = CheckpointLayouts.Detect(state);
            console.MarkupLineInterpolated($"layout: {CheckpointLayouts.Describe(layout)}; encoder: {CheckpointLayouts.Family(state.Keys)}");
            console.MarkupLineInterpolated(
                $"{state.Count} tensors, {CheckpointSummary.ParameterCount(state):N0} parameters (relative_position_index and attn_mask buffers not counted)");
            foreach (var (key, value) in CheckpointSummary.OtherEntries(loaded))
                console.MarkupLineInterpolated($"{key}: {value}");
            return 0;
        }
        finally
        {
            TorchFile.DisposeTensors(loaded);
        }
    }
}
