using SimMim.Checkpoints;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SimMim.Tests.Parity;

/// <summary>
/// The fine-tune classifiers against the PyTorch reference in tools/parity (issue "Interoperate with PyTorch",
/// item 6a): the reference's fine-tune encoder (no mask token; ViT mean pooling + fc_norm or cls token + norm; Swin
/// avgpool; head) loads strictly, and logits, cross-entropy loss and every gradient agree. The reference computes in
/// float64 on the same float32 weights and inputs.
/// </summary>
public class ClassifierParityTests(ITestOutputHelper output)
{
    private const double LogitsAbsTol = 1e-5;
    private const double LossRelTol = 1e-6;
    private const double GradRelTol = 1e-5;

    internal static readonly string[] Names = ["cls_vit_finetune", "cls_vit_cls_token", "cls_swin"];

    public static TheoryData<string> CaseNames => new(Names);

    [Fact]
    public void FixturesHoldExactlyTheCasesTestedHere()
    {
        Assert.Equal(Names.Order(), ParityFixtures.ClassifierCases().Select(c => c.Name).Order());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void StateDictKeysAndOrderAreTheReferences(string name)
    {
        var c = Case(name);
        using var encoder = ParityFixtures.BuildEncoder(c.Name, c.Type, c.Config);
        Assert.Equal(c.Keys, encoder.state_dict().Keys);
        Assert.Equal(c.Parameters, encoder.named_parameters().Select(p => p.name));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void LogitsLossAndGradientsMatchTheReference(string name)
    {
        var c = Case(name);
        using var encoder = ParityFixtures.BuildEncoder(c.Name, c.Type, c.Config);
        using var scope = NewDisposeScope();
        string weightsPath = ParityFixtures.PathOf(name, "weights");
        var weights = ParityFixtures.ReadTensors(weightsPath);
        var io = ParityFixtures.ReadTensors(ParityFixtures.PathOf(name, "io"));
        var grads = ParityFixtures.ReadTensors(ParityFixtures.PathOf(name, "grads"));

        var ours = encoder.state_dict();
        Assert.Empty(ours.Keys.Except(weights.Keys));   // missing
        Assert.Empty(weights.Keys.Except(ours.Keys));   // unexpected
        StateDicts.LoadStrict(encoder, weights, weightsPath);
        encoder.eval();

        var image = io["image"];
        var labels = io["labels"];
        Assert.Equal(ScalarType.Float32, image.dtype);
        Assert.Equal(ScalarType.Int64, labels.dtype);
        var logits = encoder.Classify(image);
        var loss = nn.functional.cross_entropy(logits, labels);
        loss.backward();

        Assert.Equal(io["logits"].shape, logits.shape);
        double logitsAbs = MaxAbsDiff(logits, io["logits"]);
        double lossValue = loss.item<float>(), refLoss = io["loss"].item<double>();
        double lossRel = Math.Abs(lossValue - refLoss) / Math.Abs(refLoss);

        var parameters = encoder.named_parameters().ToList();
        Assert.Equal(grads.Keys.Order(), parameters.Select(p => p.name).Order());
        var gradErrors = parameters
            .Select(p => (p.name, rel: p.parameter.grad is { } g
                ? MaxAbsDiff(g, grads[p.name]) / MaxAbs(grads[p.name])
                : double.PositiveInfinity))   // no gradient reached it: reported, not thrown
            .OrderByDescending(e => e.rel)
            .ToList();
        var worst = gradErrors[0];
        output.WriteLine($"{name}: logits max abs {logitsAbs:E1}, loss {lossValue:F7} vs {refLoss:F7} (rel {lossRel:E1}), " +
            $"worst grad {worst.name} rel {worst.rel:E1} over {parameters.Count} parameters");

        Assert.True(logitsAbs <= LogitsAbsTol, $"{name}: logits max |Δ| {logitsAbs:E2}");
        Assert.True(lossRel <= LossRelTol, $"{name}: loss {lossValue} vs reference {refLoss} (rel {lossRel:E2})");
        var bad = gradErrors.Where(e => !(e.rel <= GradRelTol)).Select(e => $"{e.name} {e.rel:E2}").ToList();
        Assert.True(bad.Count == 0, $"{name}: gradients off (max|Δ|/max|g|): {string.Join(", ", bad)}");
    }

    private static ParityCase Case(string name) =>
        ParityFixtures.ClassifierCases().SingleOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"{ParityFixtures.ManifestPath} has no classifier case '{name}'");

    internal static double MaxAbsDiff(Tensor ours, Tensor reference) =>
        (ours.to_type(ScalarType.Float64) - reference.to_type(ScalarType.Float64)).abs().max().item<double>();

    internal static double MaxAbs(Tensor t) => Math.Max(t.to_type(ScalarType.Float64).abs().max().item<double>(), 1e-30);
}
