using SimMim.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Tests.Training;

public class ParamGroupsTests
{
    [Fact]
    public void SplitsByTheReferenceRule()
    {
        (string, Parameter)[] parameters =
        [
            ("encoder.mask_token", new Parameter(zeros(1, 1, 4))),
            ("encoder.cls_token", new Parameter(zeros(1, 1, 4))),
            ("encoder.blocks.0.attn.qkv.weight", new Parameter(zeros(12, 4))),
            ("encoder.blocks.0.attn.proj.bias", new Parameter(zeros(4))),
            ("encoder.blocks.0.gamma_1", new Parameter(zeros(4))),
            ("encoder.layers.0.blocks.0.attn.relative_position_bias_table", new Parameter(zeros(9, 2))),
            ("decoder.0.weight", new Parameter(zeros(8, 4, 1, 1))),
        ];
        var groups = ParamGroups.ForPretraining(parameters, new HashSet<string> { "encoder.cls_token" },
            ["relative_position_bias_table"], baseLr: 1e-3, weightDecay: 0.05);

        Assert.Equal(["encoder.mask_token", "encoder.blocks.0.attn.qkv.weight", "decoder.0.weight"], groups[0].ParameterNames);
        Assert.Equal(0.05, groups[0].WeightDecay);
        Assert.Equal(["encoder.cls_token", "encoder.blocks.0.attn.proj.bias", "encoder.blocks.0.gamma_1",
            "encoder.layers.0.blocks.0.attn.relative_position_bias_table"], groups[1].ParameterNames);
        Assert.Equal(0.0, groups[1].WeightDecay);
    }
}
