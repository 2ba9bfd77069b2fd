using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Models.Vit;
using SimMim.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Finetune;

public class PretrainedLoaderTests
{
    // The reference's fine-tune ViT: per-block tables, mean pooling (norm → Identity, fc_norm added), a head.
    private static VitConfig FinetuneVit(int img = 16) => TestModels.Vit with
    {
        ImgSize = img,
        UseRpb = true,
        UseSharedRpb = false,
        UseMeanPooling = true,
        NumClasses = 5,
    };

    /// <summary>Saves a tiny SimMIM model as a training checkpoint after giving every tensor distinct values.</summary>
    private static (string Path, Dictionary<string, Tensor> State) SavePretrained(MaskedImageEncoder encoder)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("simmim-ft").FullName, "ckpt_epoch_0.pth");
        using var model = new SimMimModel(encoder);
        random.manual_seed(3);
        using (no_grad())
        {
            foreach (var (_, p) in model.named_parameters())
                p.copy_(randn_like(p));   // rel-pos tables start at zero: make the copy visible
        }
        using var optimizer = optim.AdamW(model.parameters());
        TrainingCheckpoint.Save(path, model, optimizer, new TrainingState(0, 1, 0, ""));
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        return (path, state);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    [Fact]
    public void VitPretrainingCheckpointLoadsIntoTheFinetuneEncoderAsTheReferenceDoes()
    {
        var (path, pretrained) = SavePretrained(new VisionTransformer(TestModels.Vit, forSimMim: true));
        using var encoder = new VisionTransformer(FinetuneVit(), forSimMim: false);

        var result = PretrainedLoader.LoadPretrained(path, encoder);

        Assert.Equal(["fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias"], result.Missing);
        Assert.Equal(["mask_token", "norm.bias", "norm.weight"], result.Unexpected);
        Assert.Empty(result.Interpolated);
        var state = encoder.state_dict();
        Assert.Equal(state.Keys.Where(k => !k.Contains("relative_position_index") && !k.StartsWith("fc_norm") && !k.StartsWith("head")),
            result.Loaded);
        var shared = pretrained["encoder.rel_pos_bias.relative_position_bias_table"];
        Assert.True(shared.abs().sum().item<float>() > 0);
        for (int i = 0; i < 2; i++)
            Assert.True(Same(shared, state[$"blocks.{i}.attn.relative_position_bias_table"]));
        Assert.True(Same(pretrained["encoder.blocks.1.mlp.fc2.weight"], state["blocks.1.mlp.fc2.weight"]));
        // The index buffer is the model's own, not the checkpoint's.
        Assert.True(Same(RelativePositionBias.BuildIndex(4), state["blocks.0.attn.relative_position_index"]));
    }

    [Fact]
    public void VitAbsolutePositionEmbeddingIsCarriedOver()
    {
        // The Fashion-MNIST ViT configs turn USE_APE on: the fine-tune encoder must start from the pretrained positions.
        var (path, pretrained) = SavePretrained(new VisionTransformer(TestModels.Vit with { UseApe = true }, forSimMim: true));
        using var encoder = new VisionTransformer(FinetuneVit() with { UseApe = true }, forSimMim: false);

        var result = PretrainedLoader.LoadPretrained(path, encoder);

        Assert.Contains("pos_embed", result.Loaded);
        Assert.DoesNotContain("pos_embed", result.Missing);
        Assert.True(Same(pretrained["encoder.pos_embed"], encoder.state_dict()["pos_embed"]));
    }

    [Fact]
    public void VitTableIsResizedForALargerGridKeepingTheClsRows()
    {
        var (path, pretrained) = SavePretrained(new VisionTransformer(TestModels.Vit, forSimMim: true));
        using var encoder = new VisionTransformer(FinetuneVit(img: 24), forSimMim: false);   // grid 4 → 6

        var result = PretrainedLoader.LoadPretrained(path, encoder);

        Assert.Equal(["blocks.0.attn.relative_position_bias_table", "blocks.1.attn.relative_position_bias_table"], result.Interpolated);
        var shared = pretrained["encoder.rel_pos_bias.relative_position_bias_table"];   // (52, 2)
        var table = encoder.state_dict()["blocks.1.attn.relative_position_bias_table"];  // (124, 2)
        Assert.Equal(new long[] { 124, 2 }, table.shape);
        float[] expected = RelativePositionInterpolation.Interpolate(7, 11, TestModels.Values(shared[..49]), 2);
        Assert.Equal(expected, TestModels.Values(table[..121]));
        Assert.True(Same(shared[49..], table[121..]));
    }

    [Fact]
    public void VitCheckpointWithoutASharedTableLoads()
    {
        // SimMIM #29: the reference pops the shared key unconditionally and raises KeyError.
        var perBlock = TestModels.Vit with { UseRpb = true, UseSharedRpb = false };
        var (path, pretrained) = SavePretrained(new VisionTransformer(perBlock, forSimMim: true));
        using var encoder = new VisionTransformer(FinetuneVit(), forSimMim: false);

        var result = PretrainedLoader.LoadPretrained(path, encoder);

        Assert.Contains("blocks.0.attn.relative_position_bias_table", result.Loaded);
        Assert.True(Same(pretrained["encoder.blocks.0.attn.relative_position_bias_table"],
            encoder.state_dict()["blocks.0.attn.relative_position_bias_table"]));
    }

    [Fact]
    public void SwinWindowChangeInterpolatesEveryTableAndDropsMasks()
    {
        var (path, pretrained) = SavePretrained(new SwinTransformer(TestModels.Swin, forSimMim: true));   // 32 px, window 4
        // 48 px, window 6: stage 0 at 12² tokens (shifted, new attn_mask shape), stage 1 at 6² (window 6).
        using var encoder = new SwinTransformer(TestModels.Swin with { ImgSize = 48, WindowSize = 6, NumClasses = 3 }, forSimMim: false);

        var result = PretrainedLoader.LoadPretrained(path, encoder);

        Assert.Equal(["head.weight", "head.bias"], result.Missing);
        Assert.Equal(["mask_token"], result.Unexpected);
        Assert.Equal(4, result.Interpolated.Count);
        var state = encoder.state_dict();
        foreach (string key in result.Interpolated)
        {
            var source = pretrained["encoder." + key];   // (49, nH)
            int heads = (int)source.shape[1];
            Assert.Equal(new long[] { 121, heads }, state[key].shape);
            Assert.Equal(RelativePositionInterpolation.Interpolate(7, 11, TestModels.Values(source), heads), TestModels.Values(state[key]));
        }
        Assert.DoesNotContain(result.Loaded, k => k.Contains("attn_mask") || k.Contains("relative_position_index"));
        Assert.True(Same(pretrained["encoder.layers.1.blocks.0.mlp.fc1.weight"], state["layers.1.blocks.0.mlp.fc1.weight"]));
    }

    [Fact]
    public void PlainStateDictWithoutEncoderPrefixPassesThrough()
    {
        using var source = new SwinTransformer(TestModels.Swin with { NumClasses = 3 }, forSimMim: false);
        using var encoder = new SwinTransformer(TestModels.Swin with { NumClasses = 3 }, forSimMim: false);
        var result = PretrainedLoader.LoadPretrained(source.state_dict(), encoder, "memory");
        Assert.Empty(result.Missing);
        Assert.Empty(result.Unexpected);
        Assert.True(Same(source.state_dict()["head.weight"], encoder.state_dict()["head.weight"]));
    }

    [Fact]
    public void AnotherArchitectureIsRefusedNamingTheKey()
    {
        var (path, _) = SavePretrained(new SwinTransformer(TestModels.Swin, forSimMim: true));
        using var wider = new SwinTransformer(TestModels.Swin with { EmbedDim = 24, NumClasses = 3 }, forSimMim: false);
        var e = Assert.Throws<CheckpointException>(() => PretrainedLoader.LoadPretrained(path, wider));
        Assert.Contains(path, e.Message);
        Assert.Contains("patch_embed.proj.weight", e.Message);
    }

    [Fact]
    public void NonSquareVitTableIsRefusedWithTheReason()
    {
        // SimMIM #19: a table from a 4×6 grid, (7·11 + 3) rows, cannot be told from a square one by its size.
        using var encoder = new VisionTransformer(FinetuneVit(img: 24), forSimMim: false);
        var checkpoint = new Dictionary<string, Tensor> { ["encoder.rel_pos_bias.relative_position_bias_table"] = zeros(80, 2) };
        var e = Assert.Throws<CheckpointException>(() => PretrainedLoader.LoadPretrained(checkpoint, encoder, "x.pth"));
        Assert.Contains("blocks.0.attn.relative_position_bias_table", e.Message);
        Assert.Contains("square", e.Message);
    }
}
