using SimMim.Checkpoints;
using static SimMim.Tests.Cli.CliRun;
using SimMim.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

/// <summary>
/// --pretrained takes .safetensors as well (what `simmim convert` writes), in the reference's key layout or Hugging
/// Face's, and loads the same weights as the .pth it came from; elsewhere a safetensors file is named as such.
/// </summary>
public class PretrainedSafetensorsTests
{
    [Theory]
    [InlineData("pretrain_vit.pth", false)]
    [InlineData("pretrain_vit.pth", true)]
    [InlineData("pretrain_swin.pth", false)]
    [InlineData("pretrain_swin.pth", true)]
    public void ASafetensorsCopyLoadsTheSameWeightsAsTheCheckpoint(string file, bool huggingFace)
    {
        using var dir = new InteropTempDir();
        string pth = ReferenceCheckpoints.PathOf(file);
        string safetensors = dir.File("pretrained.safetensors");
        object? checkpoint = TorchFile.Load(pth);
        var state = TorchFile.StateDict(checkpoint, pth);
        SafetensorsFile.Save(safetensors, huggingFace ? HuggingFaceKeys.ToHuggingFace(state, pth) : state);
        TorchFile.DisposeTensors(checkpoint);
        Assert.Equal(huggingFace, CheckpointLayouts.Detect(SafetensorsFile.Load(safetensors)) != CheckpointLayout.ReferencePretrain);

        var c = ReferenceCheckpoints.Case(ReferenceCheckpoints.File(file).Case);
        var config = ReferenceCheckpoints.Config(c);
        using var fromPth = ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false);
        using var fromSafetensors = ModelFactory.BuildEncoder(config.Model, config.Data.ImgSize, forSimMim: false);
        var expected = PretrainedLoader.LoadPretrained(pth, fromPth);
        var result = PretrainedLoader.LoadPretrained(safetensors, fromSafetensors);

        Assert.Equal(expected.Loaded, result.Loaded);
        Assert.Equal(expected.Missing, result.Missing);
        Assert.Contains("patch_embed.proj.weight", result.Loaded);
        // Only what came from the file: the rest (the classifier head) is initialised from the global generator,
        // which tests running in parallel draw from too.
        var want = fromPth.state_dict();
        var got = fromSafetensors.state_dict();
        foreach (string key in result.Loaded)
            Assert.True(got[key].eq(want[key]).all().item<bool>(), key);
    }

    [Fact]
    public void FinetuneStartsFromASafetensorsFileAndResumeNamesOneAsWeightsOnly()
    {
        using var dir = new InteropTempDir();
        var c = ReferenceCheckpoints.Case("finetune_vit");
        string pth = ReferenceCheckpoints.PathOf("pretrain_vit.pth");
        string safetensors = dir.File("pretrained.safetensors");
        object? checkpoint = TorchFile.Load(pth);
        SafetensorsFile.Save(safetensors, TorchFile.StateDict(checkpoint, pth));
        TorchFile.DisposeTensors(checkpoint);

        var (code, lines) = Run(["finetune", .. ReferenceCheckpoints.CliArgs(c, dir.File("out"), "--pretrained", safetensors,
            "--label-fraction", "0.02", "--steps-per-epoch", "1"), "TRAIN.EPOCHS", "1"]);
        Assert.True(code == 0, string.Join('\n', lines));

        (code, lines) = Run(["finetune", .. ReferenceCheckpoints.CliArgs(c, dir.File("out2"), "--resume", safetensors)]);
        Assert.Equal(2, code);
        Assert.Equal($"error: {safetensors}: a safetensors file (weights only), not a torch.save checkpoint", Assert.Single(lines));
    }
}
