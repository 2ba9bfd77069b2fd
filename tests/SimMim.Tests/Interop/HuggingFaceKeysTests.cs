using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Models.Vit;
using SimMim.Tests.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

public class HuggingFaceKeysTests
{
    public static TheoryData<string> Models => ["vit_pretrain", "vit_finetune", "swin_pretrain", "swin_finetune", "swin_mini_pretrain"];

    private static nn.Module Build(string name)
    {
        random.manual_seed(5);
        return name switch
        {
            "vit_pretrain" => new SimMimModel(new VisionTransformer(TestModels.Vit, forSimMim: true)),
            "vit_finetune" => new VisionTransformer(TestModels.Vit with { UseRpb = true, UseSharedRpb = false, UseMeanPooling = true, NumClasses = 10 }, forSimMim: false),
            "swin_pretrain" => new SimMimModel(new SwinTransformer(TestModels.Swin, forSimMim: true)),
            "swin_finetune" => new SwinTransformer(TestModels.Swin with { NumClasses = 10 }, forSimMim: false),
            "swin_mini_pretrain" => new SimMimModel(new SwinTransformer(SwinConfig.Mini, forSimMim: true)),
            _ => throw new ArgumentException(name),
        };
    }

    private static int ImgSize(string name) => name.StartsWith("vit") ? TestModels.Vit.ImgSize : 32;

    [Theory]
    [MemberData(nameof(Models))]
    public void ReferenceToHuggingFaceAndBackIsTheIdentity(string name)
    {
        using var model = Build(name);
        var reference = model.state_dict();
        var hf = HuggingFaceKeys.ToHuggingFace(reference, name);
        var back = HuggingFaceKeys.ToReference(hf, name, ImgSize(name));

        Assert.Equal(reference.Keys, back.Keys);   // same keys in the same (PyTorch) order
        foreach (var (key, tensor) in reference)
        {
            Assert.Equal(tensor.dtype, back[key].dtype);
            Assert.Equal(tensor.shape, back[key].shape);
            Assert.True(tensor.detach().eq(back[key]).all().item<bool>(), key);
        }
        // The round trip also loads strictly into a fresh model.
        using var fresh = Build(name);
        StateDicts.LoadStrict(fresh, back, name);
    }

    [Fact]
    public void SwinKeysFollowTransformersSwinForMaskedImageModeling()
    {
        using var model = Build("swin_pretrain");
        var reference = model.state_dict();
        var hf = HuggingFaceKeys.ToHuggingFace(reference, "swin");

        Assert.Equal(CheckpointLayout.ReferencePretrain, CheckpointLayouts.Detect(reference));
        Assert.Equal(CheckpointLayout.HuggingFaceSwin, CheckpointLayouts.Detect(hf));
        Assert.DoesNotContain(hf.Keys, k => k.Contains("attn_mask") || k.Contains("qkv"));
        foreach (var key in new[]
        {
            "swin.embeddings.mask_token", "swin.embeddings.patch_embeddings.projection.weight", "swin.embeddings.norm.bias",
            "swin.encoder.layers.0.blocks.1.layernorm_before.weight",
            "swin.encoder.layers.0.blocks.1.attention.self.relative_position_bias_table",
            "swin.encoder.layers.0.blocks.1.attention.self.relative_position_index",
            "swin.encoder.layers.0.blocks.1.attention.self.key.bias", "swin.encoder.layers.0.blocks.1.attention.output.dense.weight",
            "swin.encoder.layers.0.blocks.1.layernorm_after.bias", "swin.encoder.layers.0.blocks.1.intermediate.dense.weight",
            "swin.encoder.layers.0.blocks.1.output.dense.bias", "swin.encoder.layers.0.downsample.reduction.weight",
            "swin.encoder.layers.0.downsample.norm.weight", "swin.layernorm.weight", "decoder.0.weight", "decoder.0.bias",
        })
        {
            Assert.Contains(key, hf.Keys);
        }
        // qkv rows are [q; k; v]: the key weight is the middle third.
        var qkv = reference["encoder.layers.0.blocks.1.attn.qkv.weight"];
        long dim = qkv.shape[1];
        Assert.True(qkv[TensorIndex.Slice(dim, 2 * dim)].eq(hf["swin.encoder.layers.0.blocks.1.attention.self.key.weight"]).all().item<bool>());
        // PyTorch's PatchMerging order: reduction before norm (spec §6.2 lists them the other way round).
        var keys = hf.Keys.ToList();
        Assert.True(keys.IndexOf("swin.encoder.layers.0.downsample.reduction.weight") < keys.IndexOf("swin.encoder.layers.0.downsample.norm.weight"));
    }

    [Fact]
    public void VitKeysFollowTransformersBeit()
    {
        using var model = Build("vit_pretrain");
        var reference = model.state_dict();
        var hf = HuggingFaceKeys.ToHuggingFace(reference, "vit");

        Assert.Equal(CheckpointLayout.HuggingFaceBeit, CheckpointLayouts.Detect(hf));
        Assert.Equal(reference["encoder.blocks.1.gamma_2"], hf["beit.encoder.layer.1.lambda_2"]);
        Assert.Equal(reference["encoder.blocks.0.attn.q_bias"], hf["beit.encoder.layer.0.attention.attention.query.bias"]);
        Assert.Equal(reference["encoder.blocks.0.attn.v_bias"], hf["beit.encoder.layer.0.attention.attention.value.bias"]);
        Assert.DoesNotContain("beit.encoder.layer.0.attention.attention.key.bias", hf.Keys);
        foreach (var key in new[]
        {
            "beit.embeddings.cls_token", "beit.embeddings.mask_token", "beit.embeddings.patch_embeddings.projection.weight",
            "beit.encoder.relative_position_bias.relative_position_bias_table",
            "beit.encoder.relative_position_bias.relative_position_index",
            "beit.encoder.layer.0.attention.attention.query.weight", "beit.encoder.layer.0.attention.attention.key.weight",
            "beit.encoder.layer.0.attention.output.dense.weight", "beit.encoder.layer.0.layernorm_before.weight",
            "beit.encoder.layer.0.intermediate.dense.weight", "beit.encoder.layer.0.output.dense.weight", "beit.layernorm.weight",
        })
        {
            Assert.Contains(key, hf.Keys);
        }
    }

    [Fact]
    public void ImportRebuildsAMissingRelativePositionIndexAndAcceptsAZeroKeyBias()
    {
        using var model = Build("vit_pretrain");
        var reference = model.state_dict();
        var hf = HuggingFaceKeys.ToHuggingFace(reference, "vit");
        hf.Remove("beit.encoder.relative_position_bias.relative_position_index");
        hf["beit.encoder.layer.0.attention.attention.key.bias"] = zeros(TestModels.Vit.EmbedDim);

        var back = HuggingFaceKeys.ToReference(hf, "vit");
        Assert.True(reference["encoder.rel_pos_bias.relative_position_index"].eq(back["encoder.rel_pos_bias.relative_position_index"]).all().item<bool>());

        hf["beit.encoder.layer.0.attention.attention.key.bias"] = ones(TestModels.Vit.EmbedDim);
        var e = Assert.Throws<CheckpointException>(() => HuggingFaceKeys.ToReference(hf, "vit"));
        Assert.Contains("no key bias", e.Message);
    }

    [Fact]
    public void SwinImportWithoutTheImageSizeSaysWhatIsMissing()
    {
        using var model = Build("swin_pretrain");
        var hf = HuggingFaceKeys.ToHuggingFace(model.state_dict(), "swin");
        var e = Assert.Throws<CheckpointException>(() => HuggingFaceKeys.ToReference(hf, "in.safetensors"));
        Assert.StartsWith("in.safetensors: Swin weights need the image size", e.Message);
    }

    [Fact]
    public void ConvertingTheWrongLayoutOrUnknownKeysFails()
    {
        using var model = Build("vit_pretrain");
        var reference = model.state_dict();
        Assert.Throws<CheckpointException>(() => HuggingFaceKeys.ToReference(reference, "x"));
        var hf = HuggingFaceKeys.ToHuggingFace(reference, "x");
        Assert.Throws<CheckpointException>(() => HuggingFaceKeys.ToHuggingFace(hf, "x"));
        var odd = new Dictionary<string, Tensor>(reference) { ["encoder.something_new"] = zeros(1) };
        Assert.Contains("encoder.something_new", Assert.Throws<CheckpointException>(() => HuggingFaceKeys.ToHuggingFace(odd, "x")).Message);
        Assert.Equal(CheckpointLayout.Unknown, CheckpointLayouts.Detect(new[] { "foo.weight" }));
    }
}
