using SimMim.Checkpoints;
using static SimMim.Tests.Cli.CliRun;

namespace SimMim.Tests.Interop;

/// <summary>
/// The CLI on checkpoints shaped as the reference's own scripts write them (issue 16): inspect, --pretrained for
/// finetune and linprobe, --resume for finetune and pretrain. Tiny models on the built-in shapes, 2 steps an epoch.
/// </summary>
public class ReferenceCheckpointCliTests
{
    private static string TempOutput() => Directory.CreateTempSubdirectory("simmim-ref-cli").FullName;

    [Theory]
    [InlineData("pretrain_vit.pth", "reference (SimMIM pretrain: encoder.*, decoder.0.*); encoder: Vit")]
    [InlineData("pretrain_swin_legacy.pth", "reference (SimMIM pretrain: encoder.*, decoder.0.*); encoder: Swin")]
    [InlineData("finetune_vit_legacy_p1.pth", "reference (fine-tuned: no prefix, head.*); encoder: Vit")]
    public void InspectListsTheKeysAndShowsTheConfigAsOpaque(string file, string layout)
    {
        var c = ReferenceCheckpoints.Case(ReferenceCheckpoints.File(file).Case);
        var (code, lines) = Run("inspect", ReferenceCheckpoints.PathOf(file));

        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Contains(lines, l => l.Contains(c.Keys[0]) && l.Contains("Float32"));
        Assert.Contains($"layout: {layout}", lines);
        Assert.Contains($"epoch: {c.Epoch}", lines);
        Assert.Contains(lines, l => l.StartsWith("config: <yacs.config.CfgNode> (not loaded: an opaque pickled object; 16 entries: BASE, DATA, MODEL, TRAIN,"));
        Assert.Contains("lr_scheduler: dict, 19 entries", lines);
        Assert.Contains("amp: dict, 1 entries", lines);
    }

    [Fact]
    public void FinetuneAndLinprobeStartFromTheReferencesPretrainingCheckpoint()
    {
        var c = ReferenceCheckpoints.Case("finetune_vit");
        string pretrained = ReferenceCheckpoints.PathOf("pretrain_vit.pth");
        string output = TempOutput();

        var (code, lines) = Run(["finetune", .. ReferenceCheckpoints.CliArgs(c, output, "--pretrained", pretrained,
            "--label-fraction", "0.02", "--steps-per-epoch", "2"), "TRAIN.EPOCHS", "1"]);
        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Contains(lines, l => l.StartsWith("max top-1:"));
        string log = File.ReadAllText(Path.Combine(output, "simmim_finetune", "fashion_mnist_vit_tiny", "log.txt"));
        Assert.Contains($"pretrained {pretrained}: loaded", log);

        (code, lines) = Run(["linprobe", .. ReferenceCheckpoints.CliArgs(c, TempOutput(), "--pretrained", pretrained,
            "--label-fraction", "0.02"), "TRAIN.EPOCHS", "1"]);
        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Contains(lines, l => l.StartsWith("linear probe top-1:"));
    }

    [Fact]
    public void FinetuneResumesTheReferencesFinetuneCheckpointAfterItsEpoch()
    {
        var c = ReferenceCheckpoints.Case("finetune_vit");
        string checkpoint = ReferenceCheckpoints.PathOf("finetune_vit.pth");
        string output = TempOutput();

        var (code, lines) = Run(["finetune", .. ReferenceCheckpoints.CliArgs(c, output, "--resume", checkpoint,
            "--label-fraction", "0.02", "--steps-per-epoch", "2"), "TRAIN.EPOCHS", $"{c.Epoch + 2}"]);

        Assert.True(code == 0, string.Join('\n', lines));
        string run = Path.Combine(output, "simmim_finetune", "fashion_mnist_vit_tiny");
        Assert.Contains($"resumed from {checkpoint} (after epoch {c.Epoch}, global step {(c.Epoch + 1) * 2} = (epoch + 1) × 2 steps",
            File.ReadAllText(Path.Combine(run, "log.txt")));
        Assert.Equal([CheckpointFiles.EpochEnd(c.Epoch + 1)], Directory.GetFiles(run, "ckpt_*.pth").Select(Path.GetFileName));
        // The best accuracy the reference recorded is carried on.
        string best = Assert.Single(lines, l => l.StartsWith("max top-1:"));
        Assert.True(double.Parse(best.Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture) >= c.MaxAccuracy, best);
    }

    [Fact]
    public void PretrainResumesTheReferencesPretrainingCheckpointAfterItsEpoch()
    {
        var c = ReferenceCheckpoints.Case("pretrain_vit");
        string checkpoint = ReferenceCheckpoints.PathOf("pretrain_vit_p4.pth");
        string output = TempOutput();

        var (code, lines) = Run(["pretrain", .. ReferenceCheckpoints.CliArgs(c, output, "--resume", checkpoint,
            "--steps-per-epoch", "2"), "TRAIN.EPOCHS", $"{c.Epoch + 2}"]);

        Assert.True(code == 0, string.Join('\n', lines));
        string run = Path.Combine(output, "simmim_pretrain", "fashion_mnist_vit_tiny");
        Assert.Contains($"resumed from {checkpoint} (after epoch {c.Epoch}", File.ReadAllText(Path.Combine(run, "log.txt")));
        Assert.Equal([CheckpointFiles.EpochEnd(c.Epoch + 1)], Directory.GetFiles(run, "ckpt_*.pth").Select(Path.GetFileName));
    }
}
