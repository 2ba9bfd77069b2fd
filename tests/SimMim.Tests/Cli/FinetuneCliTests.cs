using System.Text.Json;

namespace SimMim.Tests.Cli;

/// <summary>`simmim finetune` / `linprobe` / `eval` on a tiny ViT and the built-in shapes.</summary>
public class FinetuneCliTests
{
    // The shipped config, copied beside the program.
    private static readonly string ConfigPath = Path.Combine(AppContext.BaseDirectory, "configs", "fashion_mnist_finetune_vit_tiny.yaml");

    // Tiny model and data: 32 px, 4×4 tokens, depth 2, 2 steps of 16 images per epoch.
    private static readonly string[] s_tiny =
    [
        "--cfg", ConfigPath, "--data-path", "builtin", "--batch-size", "16",
        "--opts", "TRAIN.EPOCHS", "1", "TRAIN.WARMUP_EPOCHS", "0", "MODEL.VIT.PATCH_SIZE", "8", "MODEL.VIT.EMBED_DIM", "32",
        "MODEL.VIT.DEPTH", "2", "MODEL.VIT.NUM_HEADS", "2", "MODEL.NUM_CLASSES", "10",
    ];

    private static CliResult Run(params string[] args) => CliRun.Run(400, args);

    private static string[] Tiny(string output, params string[] more) => [.. s_tiny.Take(6), "--output", output, .. more, .. s_tiny.Skip(6)];

    [Fact]
    public void FinetuneThenEvalWritesEvalJson()
    {
        string output = Directory.CreateTempSubdirectory("simmim-ft-cli").FullName;
        var (code, lines, _) = Run(["finetune", .. Tiny(output, "--label-fraction", "0.02", "--steps-per-epoch", "2")]);
        Assert.True(code == 0, string.Join('\n', lines));
        Assert.Contains(lines, l => l.StartsWith("max top-1:"));
        string ckpt = Path.Combine(output, "simmim_finetune", "fashion_mnist_vit_tiny", "ckpt_epoch_0.pth");
        Assert.True(File.Exists(ckpt));

        (code, lines, _) = Run(["eval", .. Tiny(output, "--resume", ckpt)]);
        Assert.True(code == 0, string.Join('\n', lines));
        string json = Path.Combine(output, "simmim_finetune", "fashion_mnist_vit_tiny", "eval.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(512, doc.RootElement.GetProperty("result").GetProperty("count").GetInt64());
        Assert.Contains(lines, l => l.StartsWith("top-1"));

        // --holdout scores held-out training images instead of the validation split.
        (code, lines, _) = Run(["eval", .. Tiny(output, "--resume", ckpt, "--holdout", "0.1")]);
        Assert.True(code == 0, string.Join('\n', lines));
        using var heldOut = JsonDocument.Parse(File.ReadAllText(json));
        long expected = SimMim.Data.DatasetFactory.OpenSplits("builtin", 0.1).Val.Count;
        Assert.NotEqual(512, expected);
        Assert.Equal(expected, heldOut.RootElement.GetProperty("result").GetProperty("count").GetInt64());
    }

    [Fact]
    public void AMissingPretrainedFileIsOneLineWithExitCode2()
    {
        var (code, lines, errors) = Run(["finetune", .. Tiny(Path.GetTempPath(), "--pretrained", "/nonexistent/p.pth")]);
        Assert.Equal(2, code);
        Assert.Empty(lines);
        Assert.Contains("/nonexistent/p.pth", Assert.Single(errors));
    }

    [Fact]
    public void UsageErrorsOfTheClassificationVerbs()
    {
        Assert.Equal(2, Run("eval", "--cfg", ConfigPath).ExitCode);                                   // no --resume
        Assert.Equal(2, Run("eval", "--cfg", ConfigPath, "--resume", "/nonexistent/c.pth").ExitCode);
        Assert.Equal(2, Run("linprobe", "--cfg", ConfigPath, "--block", "0").ExitCode);
        Assert.Equal(2, Run("finetune", "--cfg", ConfigPath, "--label-fraction", "1.5").ExitCode);
        Assert.Equal(2, Run("finetune", "--cfg", ConfigPath, "--holdout", "1").ExitCode);
        Assert.Equal(2, Run("eval", "--cfg", ConfigPath, "--resume", ConfigPath, "--holdout", "-0.1").ExitCode);
        var (code, lines, errors) = Run("finetune", "--cfg", ConfigPath, "--opts", "AUG.AUTO_AUGMENT", "original-mstd0.5");
        Assert.Equal(2, code);
        Assert.Empty(lines);
        Assert.Contains("AUG.AUTO_AUGMENT", Assert.Single(errors));
    }
}
