using SimMim.Checkpoints;
using SimMim.Config;
using SimMim.Models;
using SimMim.Tests.Parity;
using SimMim.Tests.Cli;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

/// <summary>`simmim convert` and `simmim inspect` end to end.</summary>
public class ConvertInspectCliTests
{
    private static string DemoConfig => Path.Combine(ParityFixtures.RepoRoot, "configs", "demo.yaml");

    private static CliResult Run(params string[] args) => CliRun.Run(400, args);

    private static SimMimModel DemoModel(int seed)
    {
        random.manual_seed(seed);
        return ModelFactory.BuildSimMim(ConfigLoader.Load(DemoConfig).Model, 64);
    }

    [Fact]
    public void ATrainingCheckpointConvertsToHuggingFaceSafetensorsAndBackToTheSameWeights()
    {
        using var dir = new InteropTempDir();
        using var model = DemoModel(seed: 11);
        using var optimizer = optim.AdamW(model.parameters());
        string ckpt = dir.File("ckpt_epoch_2.pth");
        TrainingCheckpoint.Save(ckpt, model, optimizer, new TrainingState(2, 20, 19, "SEED: 0\n"));

        var (code, lines, _) = Run("convert", ckpt, dir.File("hf.safetensors"), "--to", "hf");
        Assert.True(code == 0, string.Join("\n", lines));
        Assert.Contains("Hugging Face Swin", lines.Last());
        Assert.Equal(CheckpointLayout.HuggingFaceSwin, CheckpointLayouts.Detect(SafetensorsFile.Load(dir.File("hf.safetensors"))));

        (code, lines, _) = Run("convert", dir.File("hf.safetensors"), dir.File("back.pth"), "--model-config", DemoConfig);
        Assert.True(code == 0, string.Join("\n", lines));
        using var reloaded = DemoModel(seed: 12);
        TrainingCheckpoint.LoadWeights(dir.File("back.pth"), reloaded);
        var expected = model.state_dict();
        foreach (var (key, tensor) in reloaded.state_dict())
            Assert.True(tensor.eq(expected[key]).all().item<bool>(), key);
    }

    [Fact]
    public void InspectListsKeysLayoutParametersAndRunState()
    {
        using var dir = new InteropTempDir();
        using var model = DemoModel(seed: 13);
        using var optimizer = optim.AdamW(model.parameters());
        string ckpt = dir.File("ckpt_epoch_3.pth");
        TrainingCheckpoint.Save(ckpt, model, optimizer, new TrainingState(3, 30, 29, "SEED: 0\nTAG: x\n"));

        var (code, lines, _) = Run("inspect", ckpt);
        Assert.Equal(0, code);
        string text = string.Join("\n", lines);
        Assert.Contains("encoder.layers.0.blocks.1.attn_mask", text);
        Assert.Contains("(16, 16, 16)", text);   // stage 0: 16×16 tokens in 4×4 windows
        Assert.Contains("layout: reference (SimMIM pretrain", text);
        long parameters = model.parameters().Sum(p => p.NumberOfElements);
        Assert.True(text.Contains($"{parameters:N0} parameters"), text);
        Assert.Contains("epoch: 3", lines);
        Assert.Contains("global_step: 30", lines);
        Assert.Contains("optimizer: dict, 2 entries", lines);
    }

    [Fact]
    public void InspectShowsAnOpaqueObjectByItsClassName()
    {
        using var dir = new InteropTempDir();
        InteropPython.Run("""
            import sys, types, torch
            mod = types.ModuleType('yacs.config'); sys.modules['yacs'] = types.ModuleType('yacs'); sys.modules['yacs.config'] = mod
            class CfgNode(dict): pass
            CfgNode.__module__ = 'yacs.config'; mod.CfgNode = CfgNode
            torch.save({'model': {'encoder.patch_embed.proj.weight': torch.ones(4, 3, 2, 2), 'encoder.blocks.0.norm1.weight': torch.ones(4)},
                        'config': CfgNode(A=1), 'epoch': 5}, sys.argv[1])
            """, dir.File("ref.pth"));
        var (code, lines, _) = Run("inspect", dir.File("ref.pth"));
        Assert.Equal(0, code);
        Assert.Contains("config: <yacs.config.CfgNode> (not loaded: an opaque pickled object; 1 entries: A)", lines);
        Assert.Contains("epoch: 5", lines);
    }

    [Fact]
    public void MissingCorruptAndUnknownLayoutFilesAreOneLineWithExitCode2()
    {
        using var dir = new InteropTempDir();
        File.WriteAllText(dir.File("corrupt.pth"), "garbage");
        TorchFile.Save(dir.File("odd.pth"), new Dictionary<string, Tensor> { ["foo.weight"] = zeros(2) });

        foreach (var (args, file) in new[]
        {
            (new[] { "inspect", dir.File("missing.pth") }, dir.File("missing.pth")),
            (new[] { "inspect", dir.File("corrupt.pth") }, dir.File("corrupt.pth")),
            (new[] { "convert", dir.File("missing.pth"), dir.File("out.safetensors") }, dir.File("missing.pth")),
            (new[] { "convert", dir.File("corrupt.pth"), dir.File("out.safetensors") }, dir.File("corrupt.pth")),
            (new[] { "convert", dir.File("odd.pth"), dir.File("out.safetensors") }, dir.File("odd.pth")),
            (new[] { "convert", dir.File("odd.pth"), dir.File("out.txt") }, dir.File("out.txt")),
        })
        {
            var (code, lines, errors) = Run(args);
            Assert.Equal(2, code);
            Assert.Empty(lines);
            Assert.Contains(file, Assert.Single(errors));
        }
        Assert.Contains("unknown key layout", Assert.Single(Run("convert", dir.File("odd.pth"), dir.File("o.pth")).Err));
        Assert.Equal(2, Run("convert", dir.File("odd.pth"), dir.File("o.pth"), "--to", "onnx").ExitCode);
        Assert.False(File.Exists(dir.File("o.pth")));
    }

    [Fact]
    public void ImportingSwinFromHuggingFaceWithoutAnImageSizeSaysSo()
    {
        using var dir = new InteropTempDir();
        using var model = DemoModel(seed: 14);
        SafetensorsFile.Save(dir.File("hf.safetensors"), HuggingFaceKeys.ToHuggingFace(model.state_dict(), "demo"));
        var (code, lines, errors) = Run("convert", dir.File("hf.safetensors"), dir.File("ref.pth"));
        Assert.Equal(2, code);
        Assert.Empty(lines);
        Assert.Contains("--model-config or --img-size", Assert.Single(errors));
    }

    [Theory]
    [InlineData("48", "image size 48 (--img-size / DATA.IMG_SIZE): stage 1's 6×6 tokens cannot be tiled by its 4×4 windows")]
    [InlineData("63", "image size 63 (--img-size / DATA.IMG_SIZE) is not a multiple of the weights' patch size 4")]
    [InlineData("1000000", "image size 1000000 (--img-size / DATA.IMG_SIZE): the shifted-window masks alone need ")]
    public void AnImageSizeTheSwinWeightsCannotTakeIsRefusedBeforeAnyMaskIsBuilt(string size, string expected)
    {
        using var dir = new InteropTempDir();
        using var model = DemoModel(seed: 15);
        SafetensorsFile.Save(dir.File("hf.safetensors"), HuggingFaceKeys.ToHuggingFace(model.state_dict(), "demo"));

        var (code, lines, errors) = Run("convert", dir.File("hf.safetensors"), dir.File("back.pth"), "--to", "reference", "--img-size", size);

        Assert.Equal(2, code);
        Assert.Empty(lines);
        Assert.Contains(expected, Assert.Single(errors));
        Assert.False(File.Exists(dir.File("back.pth")));
    }
}
