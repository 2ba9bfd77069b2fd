using SimMim.Config;
using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Models.Vit;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

public class ModelFactoryTests
{
    private static ModelConfig TinySwin => new()
    {
        Type = "swin",
        DropPathRate = 0.0,
        Swin = new SwinConfig { EmbedDim = 16, Depths = [2, 2], NumHeads = [2, 4], WindowSize = 4 },
    };

    private static ModelConfig TinyVit => new()
    {
        Type = "vit",
        Vit = new VitConfig { PatchSize = 4, EmbedDim = 32, Depth = 2, NumHeads = 2 },
    };

    [Fact]
    public void BuildsSwinAndVitFromTheModelSection()
    {
        using var scope = NewDisposeScope();
        var swin = ModelFactory.BuildSimMim(TinySwin, 32);
        Assert.IsType<SwinTransformer>(swin.Encoder);
        Assert.Equal((4, 8), (swin.ModelPatchSize, swin.EncoderStride));
        var vit = ModelFactory.BuildSimMim(TinyVit, 16);
        var encoder = Assert.IsType<VisionTransformer>(vit.Encoder);
        Assert.Equal(0.1, encoder.Config.InitValues);
        Assert.Equal(16, encoder.Config.ImgSize);
        Assert.Equal(32, SwinFamily.Resolve(new ModelConfig(), 192, 0).EncoderStride);
    }

    [Theory]
    [InlineData("swin", 96, 5, "MODEL.SWIN.WINDOW_SIZE: 5 does not divide the stage-0 resolution 24")]
    [InlineData("swin", 100, 4, "DATA.IMG_SIZE: 100")]
    [InlineData("vit", 30, 4, "DATA.IMG_SIZE (30) must be a multiple of MODEL.VIT.PATCH_SIZE (4)")]
    [InlineData("cnn", 32, 4, "MODEL.TYPE")]
    public void ImpossibleSizesNameTheKey(string type, int img, int window, string message)
    {
        var cfg = (type == "vit" ? TinyVit : TinySwin) with { Type = type };
        cfg = cfg with { Swin = cfg.Swin with { WindowSize = window } };
        var ex = Assert.Throws<ConfigException>(() => ModelFactory.BuildSimMim(cfg, img));
        Assert.StartsWith(message, ex.Message);
    }

    [Fact]
    public void HeadsThatDoNotDivideTheDimNameTheKey()
    {
        var swin = TinySwin with { Swin = TinySwin.Swin with { NumHeads = [3, 4] } };
        Assert.StartsWith("MODEL.SWIN.NUM_HEADS: 3 does not divide the stage-0 dim 16",
            Assert.Throws<ConfigException>(() => ModelFactory.BuildSimMim(swin, 32)).Message);
        var vit = TinyVit with { Vit = TinyVit.Vit with { NumHeads = 5 } };
        Assert.StartsWith("MODEL.VIT.NUM_HEADS: 5",
            Assert.Throws<ConfigException>(() => ModelFactory.BuildSimMim(vit, 16)).Message);
    }

    [Fact]
    public void ReferencePresetsValidateAndHaveSpecGeometry()
    {
        var large = SwinConfig.Large with { ImgSize = 192, WindowSize = 12 };
        var base192 = SwinConfig.Base with { ImgSize = 192, WindowSize = 6 };
        foreach (var swin in new[] { SwinConfig.Tiny, SwinConfig.Small, base192, large, SwinConfig.Mini })
            Assert.Empty(SwinFamily.Instance.Problems(swin));
        foreach (var vit in new[] { VitConfig.Base, VitConfig.Tiny })
            Assert.Empty(VitFamily.Instance.Problems(vit));
        Assert.Equal((1536, 32), (large.NumFeatures, large.EncoderStride));
        Assert.Equal(6, large.StageResolution(3));   // window 12 clips to 6 there (spec §6.2)
        Assert.Equal(1024, base192.NumFeatures);
        Assert.Equal(14, VitConfig.Base.GridSize);
    }

    [Fact]
    public void TheRegistryFindsEachFamilyByTypeAndByEncoder()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(["swin", "vit"], EncoderRegistry.Types);
        Assert.Same(VitFamily.Instance, EncoderRegistry.Get("ViT"));
        Assert.Null(EncoderRegistry.Find("ViT"));
        Assert.StartsWith("MODEL.TYPE", Assert.Throws<ConfigException>(() => EncoderRegistry.Get("cnn")).Message);
        foreach (var (model, img) in new[] { (TinySwin, 32), (TinyVit, 16) })
        {
            using var encoder = ModelFactory.BuildEncoder(model, img, forSimMim: false);
            Assert.Same(EncoderRegistry.Get(model.Type), EncoderRegistry.Of(encoder));
        }
    }

    [Theory]
    [InlineData("MODEL.VIT.IMG_SIZE")]
    [InlineData("MODEL.VIT.NUM_CLASSES")]
    [InlineData("MODEL.SWIN.DROP_PATH_RATE")]
    public void BuildTimeValuesOfTheEncoderRecordsAreNotYamlKeys(string key)
    {
        Assert.Throws<ConfigException>(() => ConfigLoader.Load(null, [key, "1"]));
        Assert.DoesNotContain("IMG_SIZE: 224\n    PATCH_SIZE", ConfigWriter.ToYaml(new SimMimConfig()));
    }

    [Fact]
    public void TheBuiltEncoderTakesImageSizeClassesAndDropPathFromOutsideTheSection()
    {
        using var scope = NewDisposeScope();
        var model = TinyVit with { NumClasses = 7, DropPathRate = 0.2 };
        var encoder = Assert.IsType<VisionTransformer>(ModelFactory.BuildEncoder(model, 16, forSimMim: false));
        Assert.Equal((16, 7, 0.2), (encoder.Config.ImgSize, encoder.Config.NumClasses, encoder.Config.DropPathRate));
        Assert.Equal(model.Vit with { ImgSize = 16, NumClasses = 7, DropPathRate = 0.2 }, encoder.Config);
    }

    [Fact]
    public void InitValuesNoneLoadsAndBuildsAViTWithoutLayerScale()
    {
        using var scope = NewDisposeScope();
        var config = ConfigLoader.Load(null, ["MODEL.TYPE", "vit", "MODEL.VIT.INIT_VALUES", "None", "DATA.IMG_SIZE", "32",
            "DATA.MASK_PATCH_SIZE", "16", "MODEL.VIT.PATCH_SIZE", "4", "MODEL.VIT.EMBED_DIM", "32", "MODEL.VIT.DEPTH", "1", "MODEL.VIT.NUM_HEADS", "2"]);
        ConfigValidator.Validate(config, ConfigStage.Pretrain);
        Assert.Null(config.Model.Vit.InitValues);
        Assert.Contains("INIT_VALUES: null", ConfigWriter.ToYaml(config));
        using var model = ModelFactory.BuildSimMim(config.Model, config.Data.ImgSize);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("gamma_", StringComparison.Ordinal));
    }
}
