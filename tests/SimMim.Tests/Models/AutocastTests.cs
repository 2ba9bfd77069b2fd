using SimMim.Models;
using SimMim.Models.Layers;
using SimMim.Models.Swin;
using SimMim.Models.Vit;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

public class AutocastTests
{
    private static bool BitEqual(Tensor a, Tensor b) => a.dtype == b.dtype && a.eq(b).all().item<bool>();

    [Fact]
    public void OutsideAScopeEveryHelperIsThePlainCall()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        Assert.Null(Autocast.ComputeType);
        var linear = nn.Linear(8, 6);
        var conv = nn.Conv2d(3, 4, 2, stride: 2);
        var norm = nn.LayerNorm(8);
        var x = randn(5, 8);
        var image = randn(2, 3, 4, 4);
        var (q, k, v, bias) = (randn(2, 2, 5, 4), randn(2, 2, 5, 4), randn(2, 2, 5, 4), randn(2, 5, 5));

        Assert.True(BitEqual(linear.call(x), AutocastOps.Linear(linear, x)));
        Assert.True(BitEqual(nn.functional.linear(x, linear.weight, linear.bias), AutocastOps.Linear(x, linear.weight, linear.bias)));
        Assert.True(BitEqual(conv.call(image), AutocastOps.Conv2d(conv, image)));
        Assert.True(BitEqual(q.matmul(k.transpose(-2, -1)), AutocastOps.Matmul(q, k.transpose(-2, -1))));
        Assert.True(BitEqual(nn.functional.scaled_dot_product_attention(q, k, v, bias), AutocastOps.Attention(q, k, v, bias)));
        Assert.True(BitEqual(norm.call(x), AutocastOps.LayerNorm(norm, x)));
        Assert.Same(x, AutocastOps.ToFloat32(x));
        Assert.Same(x, AutocastOps.ToCompute(x));
    }

    [Fact]
    public void InsideABf16ScopeProductsAreBf16AndNormsFp32()
    {
        using var scope = NewDisposeScope();
        var linear = nn.Linear(8, 6);
        var conv = nn.Conv2d(3, 4, 2, stride: 2);
        var norm = nn.LayerNorm(6);
        var x = randn(5, 8);
        using (Autocast.Enable(ScalarType.BFloat16))
        {
            var y = AutocastOps.Linear(linear, x);
            Assert.Equal(ScalarType.BFloat16, y.dtype);
            Assert.Equal(ScalarType.BFloat16, AutocastOps.Conv2d(conv, randn(1, 3, 4, 4)).dtype);
            Assert.Equal(ScalarType.Float32, AutocastOps.LayerNorm(norm, y).dtype);
            Assert.Equal(ScalarType.Float32, AutocastOps.ToFloat32(y).dtype);
            // The result is still close to fp32: bf16 keeps 8 significant bits.
            var reference = linear.call(x);
            Assert.True((y.to_type(ScalarType.Float32) - reference).abs().max().item<float>() < 0.05);

            // Attention's core stays fp32 (see AttentionBiasGradientsSurviveAutocast).
            var (q, k, v, bias) = (randn(2, 2, 5, 4), randn(2, 2, 5, 4), randn(2, 2, 5, 4), randn(2, 5, 5));
            var attention = AutocastOps.Attention(q.to_type(ScalarType.BFloat16), k, v, bias);
            Assert.Equal(ScalarType.Float32, attention.dtype);
            var exact = nn.functional.scaled_dot_product_attention(q.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32), k, v, bias);
            Assert.True(BitEqual(exact, attention));
        }
    }

    [Fact]
    public void AttentionBiasGradientsSurviveAutocast()
    {
        // At a ViT's start, q·k is small and attention nearly uniform; the bias (relative position) gradient is then
        // P ⊙ (dP − mean dP), a small difference of nearly equal numbers. With the products in bf16 it came out 0.99 %
        // off here (and the small ViT's bf16 loss stayed on a plateau fp32 left); in fp32 it is the plain computation.
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        var (q, k) = (randn(4, 3, 16, 8) * 1e-3, randn(4, 3, 16, 8) * 1e-3);
        var v = randn(4, 3, 16, 8) + 4;   // a shared offset makes the dP entries nearly equal, as a mean-colour plateau does
        var weight = randn(4, 3, 16, 8);
        Tensor BiasGradient(bool autocast)
        {
            var bias = zeros(3, 16, 16).requires_grad_();
            using (Autocast.Enable(autocast ? ScalarType.BFloat16 : ScalarType.Float32))
                (AutocastOps.Attention(q, k, v, bias) * weight).sum().backward();
            return bias.grad!;
        }
        var exact = BiasGradient(autocast: false);
        var scoped = BiasGradient(autocast: true);
        double relative = ((scoped - exact).norm() / exact.norm()).item<float>();
        Assert.True(relative < 1e-5, $"bias gradient off by {relative:P2} under autocast");
    }

    [Fact]
    public void ScopesNestRestoreAndStayOnTheirThread()
    {
        using (Autocast.Enable(Precision.Bf16))
        {
            Assert.Equal(ScalarType.BFloat16, Autocast.ComputeType);
            using (Autocast.Enable(ScalarType.Float32))
            {
                Assert.Null(Autocast.ComputeType);
            }
            Assert.Equal(ScalarType.BFloat16, Autocast.ComputeType);
            ScalarType? seenElsewhere = ScalarType.Int8;
            var thread = new Thread(() => seenElsewhere = Autocast.ComputeType);
            thread.Start();
            thread.Join();
            Assert.Null(seenElsewhere);
        }
        Assert.Null(Autocast.ComputeType);
        Assert.Throws<ArgumentException>(() => Autocast.Enable(ScalarType.Int32));
    }

    public static TheoryData<string> Encoders => new() { "vit", "swin" };

    private static SimMimModel Build(string kind)
    {
        manual_seed(21);
        MaskedImageEncoder encoder = kind == "vit"
            ? new VisionTransformer(TestModels.Vit, forSimMim: true)
            : new SwinTransformer(TestModels.Swin, forSimMim: true);
        return new SimMimModel(encoder);
    }

    private static (Tensor Image, Tensor Mask) Inputs(SimMimModel model)
    {
        manual_seed(22);
        int size = model.ImgSize, grid = size / model.ModelPatchSize;
        return (randn(4, 3, size, size), randint(0, 2, [4, grid, grid], dtype: ScalarType.Int64));
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void OutsideAScopeTheModelIsBitIdenticalToAnFp32Scope(string kind)
    {
        using var scope = NewDisposeScope();
        using var model = Build(kind);
        model.eval();
        var (image, mask) = Inputs(model);
        var plain = model.call(image, mask);
        SimMimOutput inFp32Scope;
        using (Autocast.Enable(Precision.Fp32))
            inFp32Scope = model.call(image, mask);
        using (Autocast.Enable(Precision.Bf16))
            model.call(image, mask);
        var afterBf16Scope = model.call(image, mask);
        Assert.True(BitEqual(plain.Loss, inFp32Scope.Loss) && BitEqual(plain.Reconstruction, inFp32Scope.Reconstruction));
        Assert.True(BitEqual(plain.Loss, afterBf16Scope.Loss) && BitEqual(plain.Reconstruction, afterBf16Scope.Reconstruction));
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Bf16LossAndGradientsTrackFp32AndStayFp32(string kind)
    {
        using var scope = NewDisposeScope();
        using var model = Build(kind);
        var (image, mask) = Inputs(model);
        var parameters = model.parameters().ToList();

        var loss32 = model.call(image, mask).Loss;
        loss32.backward();
        var grads32 = cat(parameters.Select(p => p.grad!.flatten()).ToList());
        model.zero_grad();

        SimMimOutput output16;
        using (Autocast.Enable(Precision.Bf16))
            output16 = model.call(image, mask);
        output16.Loss.backward();

        Assert.Equal(ScalarType.Float32, output16.Loss.dtype);
        Assert.Equal(ScalarType.Float32, output16.Reconstruction.dtype);
        double l32 = loss32.item<float>(), l16 = output16.Loss.item<float>();
        Assert.NotEqual(l32, l16);                          // the scope did change the arithmetic
        Assert.InRange(Math.Abs(l16 - l32) / l32, 0, 2e-2); // ... by bf16's rounding only
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.True(p.grad is not null, $"{name} has no gradient under bf16");
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        }
        var grads16 = cat(parameters.Select(p => p.grad!.flatten()).ToList());
        double cosine = (grads16 * grads32).sum().item<float>() / (grads16.norm().item<float>() * grads32.norm().item<float>());
        Assert.InRange(cosine, 0.99, 1.0001);
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void AnAdamWStepAfterABf16BackwardKeepsWeightsAndStateInFp32(string kind)
    {
        using var scope = NewDisposeScope();
        using var model = Build(kind);
        var (image, mask) = Inputs(model);
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-3);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        using (Autocast.Enable(Precision.Bf16))
            model.call(image, mask).Loss.backward();
        optimizer.step();

        var after = model.parameters().ToList();
        Assert.All(after, p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Contains(Enumerable.Range(0, after.Count), i => !BitEqual(before[i], after[i]));
        var states = optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        Assert.NotEmpty(states);
        Assert.All(states, s =>
        {
            Assert.Equal(ScalarType.Float32, s.exp_avg.dtype);
            Assert.Equal(ScalarType.Float32, s.exp_avg_sq.dtype);
        });
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void ClassifierLogitsAreFp32UnderBf16(string kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(23);
        using MaskedImageEncoder encoder = kind == "vit"
            ? new VisionTransformer(TestModels.Vit with { NumClasses = 5, UseMeanPooling = true }, forSimMim: false)
            : new SwinTransformer(TestModels.Swin with { NumClasses = 5 }, forSimMim: false);
        var image = randn(2, 3, encoder.ImgSize, encoder.ImgSize);
        var logits32 = encoder.Classify(image);
        Tensor logits16;
        using (Autocast.Enable(Precision.Bf16))
            logits16 = encoder.Classify(image);
        Assert.Equal(ScalarType.Float32, logits16.dtype);
        Assert.Equal(new long[] { 2, 5 }, logits16.shape);
        Assert.True((logits16 - logits32).abs().max().item<float>() < 0.05);
    }
}
