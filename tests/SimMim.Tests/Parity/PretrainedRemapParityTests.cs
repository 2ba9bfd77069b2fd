using SimMim.Checkpoints;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SimMim.Tests.Parity;

/// <summary>
/// <see cref="PretrainedLoader"/> against a Python implementation of the reference's load_pretrained (spec §6.3, with
/// #29 fixed) in tools/parity/make_fixtures.py (issue "Interoperate with PyTorch", item 6b). Both load the same
/// pretraining checkpoint ({'model': SimMIM state dict}, encoder./decoder.0. keys) into a fine-tune encoder of another
/// window or grid; every loaded tensor and the loaded / missing / unexpected / resized lists must agree. The Python
/// side interpolates in float64 (RectBivariateSpline ≡ the reference's interp2d), so table errors are ours.
/// </summary>
public class PretrainedRemapParityTests(ITestOutputHelper output)
{
    private const double TableAbsTol = 1e-5;

    internal static readonly string[] Names = ["remap_vit_same_grid", "remap_vit_grid", "remap_swin_window", "remap_swin_img"];

    public static TheoryData<string> CaseNames => new(Names);

    [Fact]
    public void FixturesHoldExactlyTheCasesTestedHere()
    {
        Assert.Equal(Names.Order(), ParityFixtures.RemapCases().Select(c => c.Name).Order());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void LoadPretrainedMatchesTheReference(string name)
    {
        var c = ParityFixtures.RemapCases().SingleOrDefault(r => r.Name == name)
            ?? throw new InvalidOperationException($"{ParityFixtures.ManifestPath} has no remap case '{name}'");
        using var encoder = ParityFixtures.BuildEncoder(c.Name, c.Type, c.Config);
        using var scope = NewDisposeScope();
        var expected = ParityFixtures.ReadTensors(ParityFixtures.PathOf(name, "expected"));

        var result = PretrainedLoader.LoadPretrained(ParityFixtures.PathOf(name, "pretrain"), encoder);

        Assert.Equal(c.Loaded, result.Loaded);
        // load_state_dict(strict=False) also lists the buffers the remap deleted (relative_position_index, attn_mask);
        // LoadResult leaves those out by design, so they are compared separately: recomputed, and buffers of ours.
        Assert.Equal(c.Missing.Where(k => !PretrainedLoader.IsRecomputed(k)), result.Missing);
        var parameters = encoder.named_parameters().Select(p => p.name).ToHashSet();
        var state = encoder.state_dict();
        Assert.All(c.Missing.Where(PretrainedLoader.IsRecomputed),
            k => Assert.True(state.ContainsKey(k) && !parameters.Contains(k), $"{k} is not a buffer of ours"));
        Assert.Equal(c.Unexpected, result.Unexpected);
        Assert.Equal(c.Interpolated.Order(StringComparer.Ordinal), result.Interpolated.Order(StringComparer.Ordinal));

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), c.Loaded.Order(StringComparer.Ordinal));
        double worstTable = 0;
        foreach (string key in c.Loaded)
        {
            var ours = state[key];
            var theirs = expected[key];
            Assert.Equal(theirs.shape, ours.shape);
            double diff = ClassifierParityTests.MaxAbsDiff(ours, theirs);
            if (key.EndsWith("relative_position_bias_table", StringComparison.Ordinal))
            {
                worstTable = Math.Max(worstTable, diff);
                Assert.True(diff <= TableAbsTol, $"{name}: {key} max |Δ| {diff:E2}");
            }
            else
            {
                Assert.Equal(theirs.dtype, ours.dtype);
                Assert.True(diff == 0, $"{name}: {key} is not the checkpoint's value (max |Δ| {diff:E2})");
            }
        }
        output.WriteLine($"{name}: {result.Loaded.Count} loaded, {result.Missing.Count} missing, {result.Unexpected.Count} " +
            $"unexpected, {result.Interpolated.Count} resized; worst table max abs {worstTable:E1}");
    }
}
