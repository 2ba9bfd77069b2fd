using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Models.Vit;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

public class SimMimModelTests
{
    [Fact]
    public void LossEqualsHandComputation()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        var image = randn(2, 3, 4, 4);
        var rec = randn(2, 3, 4, 4);
        var mask = tensor(new long[] { 1, 0, 0, 1, 0, 0, 0, 1 }).reshape(2, 2, 2);   // patch 2
        var x = TestModels.Values(image);
        var r = TestModels.Values(rec);
        var m = TestModels.Longs(mask);
        double sum = 0, count = 0;
        for (int b = 0; b < 2; b++)
            for (int h = 0; h < 4; h++)
                for (int w = 0; w < 4; w++)
                {
                    long masked = m[b * 4 + h / 2 * 2 + w / 2];
                    count += masked;
                    for (int c = 0; c < 3; c++)
                    {
                        int i = ((b * 3 + c) * 4 + h) * 4 + w;
                        sum += masked * Math.Abs(x[i] - r[i]);
                    }
                }
        double expected = sum / (count + 1e-5) / 3;
        Assert.Equal(expected, SimMimModel.MaskedL1(image, rec, mask, 2, 3).item<float>(), 5);
    }

    [Fact]
    public void LossIgnoresVisiblePixelsAndSeesMaskedOnes()
    {
        using var scope = NewDisposeScope();
        manual_seed(9);
        var image = randn(1, 3, 4, 4);
        var rec = randn(1, 3, 4, 4);
        var mask = tensor(new long[] { 0, 1, 0, 0 }).reshape(1, 2, 2);   // pixels rows 0..1, cols 2..3
        var loss = SimMimModel.MaskedL1(image, rec, mask, 2, 3).item<float>();
        var visible = rec.clone();
        visible[.., .., 2..4, ..] = 100;
        visible[.., .., 0..2, 0..2] = -100;
        Assert.Equal(loss, SimMimModel.MaskedL1(image, visible, mask, 2, 3).item<float>());
        var masked = rec.clone();
        masked[0, 1, 0, 3] = 100;
        Assert.NotEqual(loss, SimMimModel.MaskedL1(image, masked, mask, 2, 3).item<float>());
    }

    [Fact]
    public void ForwardReturnsLossAndFullSizeReconstruction()
    {
        using var scope = NewDisposeScope();
        var vit = new SimMimModel(new VisionTransformer(VitConfig.Tiny, forSimMim: true));
        Assert.Equal((4, 4, 3), (vit.ModelPatchSize, vit.EncoderStride, vit.InChans));
        var output = vit.call(randn(2, 3, 32, 32), randint(0, 2, [2, 8, 8], dtype: ScalarType.Int64));
        Assert.Equal(new long[] { 2, 3, 32, 32 }, output.Reconstruction.shape);
        Assert.Empty(output.Loss.shape);
        Assert.Equal(new[] { "encoder.cls_token", "encoder.pos_embed" }, vit.NoWeightDecay.Order());
        Assert.Empty(vit.NoWeightDecayKeywords);

        var swin = new SimMimModel(new SwinTransformer(SwinConfig.Mini, forSimMim: true));
        Assert.Equal((2, 16), (swin.ModelPatchSize, swin.EncoderStride));
        var s = swin.call(randn(1, 3, 32, 32), randint(0, 2, [1, 16, 16], dtype: ScalarType.Int64));
        Assert.Equal(new long[] { 1, 3, 32, 32 }, s.Reconstruction.shape);
    }

    [Fact]
    public void TinyModelOverfitsOneBatch()
    {
        manual_seed(10);
        var model = new SimMimModel(new VisionTransformer(TestModels.Vit, forSimMim: true));
        // Piecewise-constant patches: memorising them is within reach of a 2-block model.
        var image = randn(2, 3, 4, 4).repeat_interleave(4, 2).repeat_interleave(4, 3);   // (2, 3, 16, 16)
        var mask = randint(0, 2, [2, 4, 4], dtype: ScalarType.Int64);
        var optimizer = optim.AdamW(model.parameters(), lr: 3e-3, weight_decay: 0.0);
        float first = 0, last = 0;
        for (int step = 0; step < 200; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = model.call(image, mask).Loss;
            loss.backward();
            optimizer.step();
            last = loss.item<float>();
            if (step == 0)
            {
                first = last;
            }
        }
        Assert.True(last * 5 < first, $"loss went from {first} to {last}");
    }

    [Fact]
    public void StateDictRoundTripGivesIdenticalOutputs()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var a = new SimMimModel(new SwinTransformer(TestModels.Swin, forSimMim: true));
        manual_seed(12);
        var b = new SimMimModel(new SwinTransformer(TestModels.Swin, forSimMim: true));
        a.eval();
        b.eval();
        var image = randn(2, 3, 32, 32);
        var mask = randint(0, 2, [2, 8, 8], dtype: ScalarType.Int64);
        var before = a.call(image, mask).Reconstruction;
        Assert.False(b.call(image, mask).Reconstruction.allclose(before));

        b.load_state_dict(a.state_dict());
        Assert.True(b.call(image, mask).Reconstruction.eq(before).all().item<bool>());

        var path = Path.Combine(Path.GetTempPath(), $"simmim-{Guid.NewGuid():N}.bin");
        try
        {
            a.save(path);
            manual_seed(13);
            var c = new SimMimModel(new SwinTransformer(TestModels.Swin, forSimMim: true));
            c.load(path);
            c.eval();
            Assert.True(c.call(image, mask).Reconstruction.eq(before).all().item<bool>());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
