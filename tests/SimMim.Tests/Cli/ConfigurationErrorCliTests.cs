using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Tests.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Cli;

/// <summary>Every configuration mistake is one line naming the key or file, exit code 2, and no stack trace.</summary>
public class ConfigurationErrorCliTests
{
    // The redirected-output width: a long message must still be one line.
    private static CliResult Run(params string[] args) => CliRun.Run(80, args);

    private static string TempDir() => Directory.CreateTempSubdirectory("simmim-cfg-cli").FullName;

    private static void AssertOneLineNaming(string expected, params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(result.Out.Length == 0, result.ToString());
        string line = Assert.Single(result.Err);
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain(" at SimMim", line);
    }

    [Theory]
    [InlineData("TRAIN.EPOCHSS", "TRAIN.EPOCHSS", "3")]                                     // unknown key
    [InlineData("TRAIN.EPOCHS: expected an integer, got 'three'", "TRAIN.EPOCHS", "three")] // wrong type
    [InlineData("DATA.MASK_PATCH_SIZE", "DATA.IMG_SIZE", "40")]                             // 40 is not a multiple of 16
    [InlineData("MODEL.SWIN.PATCH_SIZE", "DATA.IMG_SIZE", "62")]                            // nor 62 of 4
    [InlineData("MODEL.SWIN.WINDOW_SIZE: 3 does not divide the stage-0 resolution 16", "MODEL.SWIN.WINDOW_SIZE", "3")]
    [InlineData("DATA.MASK_RATIO", "DATA.MASK_RATIO", "0")]
    [InlineData("DATA.MASK_RATIO", "DATA.MASK_RATIO", "1.0")]
    [InlineData("SAVE_STEPS", "SAVE_STEPS", "-1")]
    [InlineData("SAVE_KEEP", "SAVE_KEEP", "-2")]
    [InlineData("DATA.MAX_BAD_FRACTION", "DATA.MAX_BAD_FRACTION", "1.5")]
    [InlineData("TRAIN.MAX_NONFINITE_STEPS", "TRAIN.MAX_NONFINITE_STEPS", "0")]
    [InlineData("TRAIN.BASE_LR must be at least 0, got -1", "TRAIN.BASE_LR", "-1.0")]
    [InlineData("DATA.NUM_WORKERS must be from 0 to 64 (0 = decode on the training thread), got -1", "DATA.NUM_WORKERS", "-1")]
    [InlineData("DATA.INTERPOLATION must be bicubic", "DATA.INTERPOLATION", "cubicle")]
    [InlineData("DATA.IMG_SIZE 65536 with a batch of 64 does not fit in memory: swin training needs at least", "DATA.IMG_SIZE", "65536")]
    [InlineData("TRAIN.ACCUMULATION_STEPS must be at least 0", "TRAIN.ACCUMULATION_STEPS", "-1")]
    public void ABadOptsValueIsOneLineNamingTheKey(string expected, string key, string value)
    {
        AssertOneLineNaming(expected, "pretrain", "--output", TempDir(), "--opts", key, value);
    }

    [Fact]
    public void AnUnknownInterpolationIsRefusedByFinetuneToo()
    {
        AssertOneLineNaming("DATA.INTERPOLATION must be bicubic", "finetune", "--output", TempDir(), "--opts", "DATA.INTERPOLATION", "cubicle");
    }

    [Fact]
    public void ARefusedRunWritesNoConfigYaml()
    {
        string output = TempDir();
        AssertOneLineNaming("TRAIN.ACCUMULATION_STEPS", "pretrain", "--output", output, "--steps-per-epoch", "1",
            "--opts", "TRAIN.ACCUMULATION_STEPS", "-1", "TRAIN.EPOCHS", "1", "TRAIN.WARMUP_EPOCHS", "0", "DATA.BATCH_SIZE", "8");
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void AnUnknownKeyInAFileNamesTheFileLineAndKey()
    {
        string file = Path.Combine(TempDir(), "run.yaml");
        File.WriteAllText(file, "DATA:\n  IMG_SIZ: 32\n");
        AssertOneLineNaming($"{file}:2: unknown key DATA.IMG_SIZ (did you mean DATA.IMG_SIZE?)", "pretrain", "--cfg", file);
    }

    [Fact]
    public void ABatchLargerThanTheDataSetNamesTheKey()
    {
        string data = TempDir();
        for (int i = 0; i < 3; i++)
        {
            using var bitmap = new SkiaSharp.SKBitmap(8, 8);
            using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(data, $"{i}.png"), png.ToArray());
        }
        AssertOneLineNaming("DATA.BATCH_SIZE (8) is larger than the data set (3 images", "pretrain", "--output", TempDir(),
            "--data-path", data, "--batch-size", "8");
    }

    [Fact]
    public void AMissingPretrainedFileIsNamed()
    {
        AssertOneLineNaming("/nonexistent/pretrained.pth", "finetune", "--output", TempDir(), "--pretrained", "/nonexistent/pretrained.pth");
    }

    [Fact]
    public void ACheckpointOfAnotherArchitectureIsNamed()
    {
        string checkpoint = Path.Combine(TempDir(), "other.pth");
        using (var model = new SimMimModel(new SwinTransformer(TestModels.Swin, forSimMim: true)))
        using (var optimizer = optim.AdamW(model.parameters()))
            TrainingCheckpoint.Save(checkpoint, model, optimizer, new TrainingState(0, 1, 0, ""));
        AssertOneLineNaming($"{checkpoint}: does not fit this model", "pretrain", "--output", TempDir(), "--resume", checkpoint);
    }
}
