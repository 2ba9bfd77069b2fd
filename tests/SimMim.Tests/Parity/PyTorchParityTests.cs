using SimMim.Checkpoints;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SimMim.Tests.Parity;

/// <summary>
/// Our SimMIM ViT and Swin against the independent PyTorch reference in tools/parity (issue "Interoperate with
/// PyTorch", item 5): the reference's weights load strictly, and loss, reconstruction and every gradient agree.
/// The reference computes in float64 on the same float32 weights and inputs, so the tolerances measure our float32
/// error against the exact answer.
/// </summary>
public class PyTorchParityTests(ITestOutputHelper output)
{
    private const double LossRelTol = 1e-6;
    private const double ReconstructionAbsTol = 1e-5;
    private const double GradRelTol = 1e-5;

    internal static readonly string[] Names =
        ["vit_shared_rpb", "vit_block_rpb", "vit_ape_shared_rpb", "swin_clipped", "swin_ape"];

    public static TheoryData<string> CaseNames => new(Names);

    [Fact]
    public void FixturesHoldExactlyTheCasesTestedHere()
    {
        Assert.Equal(Names.Order(), ParityFixtures.Cases().Select(c => c.Name).Order());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void StateDictKeysAndOrderAreTheReferences(string name)
    {
        var c = ParityFixtures.Case(name);
        using var model = ParityFixtures.Build(c);
        // Order matters beyond names: PyTorch optimizer state is indexed by named_parameters() position.
        Assert.Equal(c.Keys, model.state_dict().Keys);
        Assert.Equal(c.Parameters, model.named_parameters().Select(p => p.name));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void BuffersBuiltFromGeometryEqualTheReferences(string name)
    {
        var c = ParityFixtures.Case(name);
        using var model = ParityFixtures.Build(c);
        using var scope = NewDisposeScope();
        var weights = ParityFixtures.ReadTensors(ParityFixtures.PathOf(name, "weights"));
        var parameters = model.named_parameters().Select(p => p.name).ToHashSet();
        var buffers = model.state_dict().Where(kv => !parameters.Contains(kv.Key)).ToList();
        Assert.NotEmpty(buffers);
        foreach (var (key, ours) in buffers)
        {
            Assert.True(weights.TryGetValue(key, out var theirs), $"{key} is not in the reference's state dict");
            Assert.Equal(theirs.dtype, ours.dtype);
            Assert.Equal(theirs.shape, ours.shape);
            Assert.True(ours.eq(theirs).all().item<bool>(), $"{key} differs from the reference");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ForwardAndBackwardMatchTheReference(string name)
    {
        var c = ParityFixtures.Case(name);
        using var model = ParityFixtures.Build(c);
        using var scope = NewDisposeScope();
        string weightsPath = ParityFixtures.PathOf(name, "weights");
        var weights = ParityFixtures.ReadTensors(weightsPath);
        var io = ParityFixtures.ReadTensors(ParityFixtures.PathOf(name, "io"));
        var grads = ParityFixtures.ReadTensors(ParityFixtures.PathOf(name, "grads"));

        var ours = model.state_dict();
        Assert.Empty(ours.Keys.Except(weights.Keys));   // missing
        Assert.Empty(weights.Keys.Except(ours.Keys));   // unexpected
        StateDicts.LoadStrict(model, weights, weightsPath);
        model.eval();

        var image = io["image"];
        var mask = io["mask"];
        Assert.Equal(ScalarType.Float32, image.dtype);
        Assert.Equal(ScalarType.Int64, mask.dtype);
        var result = model.call(image, mask);
        result.Loss.backward();

        double loss = result.Loss.item<float>(), refLoss = io["loss"].item<double>();
        double lossRel = Math.Abs(loss - refLoss) / Math.Abs(refLoss);
        double recAbs = MaxAbsDiff(result.Reconstruction, io["reconstruction"]);
        Assert.Equal(io["reconstruction"].shape, result.Reconstruction.shape);

        var parameters = model.named_parameters().ToList();
        Assert.Equal(grads.Keys.Order(), parameters.Select(p => p.name).Order());
        var gradErrors = parameters
            .Select(p => (p.name, rel: p.parameter.grad is { } g
                ? MaxAbsDiff(g, grads[p.name]) / MaxAbs(grads[p.name])
                : double.PositiveInfinity))   // no gradient reached it: reported, not thrown
            .OrderByDescending(e => e.rel)
            .ToList();
        var worst = gradErrors[0];
        output.WriteLine($"{name}: loss {loss:F7} vs {refLoss:F7} (rel {lossRel:E1}), reconstruction max abs {recAbs:E1}, " +
            $"worst grad {worst.name} rel {worst.rel:E1} over {parameters.Count} parameters");

        Assert.True(lossRel <= LossRelTol, $"{name}: loss {loss} vs reference {refLoss} (rel {lossRel:E2})");
        Assert.True(recAbs <= ReconstructionAbsTol, $"{name}: reconstruction max |Δ| {recAbs:E2}");
        var bad = gradErrors.Where(e => !(e.rel <= GradRelTol)).Select(e => $"{e.name} {e.rel:E2}").ToList();
        Assert.True(bad.Count == 0, $"{name}: gradients off (max|Δ|/max|g|): {string.Join(", ", bad)}");
    }

    private static double MaxAbsDiff(Tensor ours, Tensor reference) =>
        (ours.to_type(ScalarType.Float64) - reference.to_type(ScalarType.Float64)).abs().max().item<double>();

    private static double MaxAbs(Tensor t) => Math.Max(t.to_type(ScalarType.Float64).abs().max().item<double>(), 1e-30);
}
