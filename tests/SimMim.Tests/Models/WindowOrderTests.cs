using SimMim.Models.Swin;
using static TorchSharp.torch;

namespace SimMim.Tests.Models;

public class WindowOrderTests
{
    [Theory]
    [InlineData(8, 4, 0)]
    [InlineData(8, 4, 2)]
    [InlineData(12, 6, 3)]
    [InlineData(6, 6, 0)]
    public void TheGatherOrderIsRollThenPartition(int side, int windowSize, int shift)
    {
        using var scope = NewDisposeScope();
        var grid = arange(side * side, dtype: ScalarType.Int64).view(1, side, side, 1);    // each token holds its index
        var rolled = shift > 0 ? grid.roll([-shift, -shift], [1, 2]) : grid;
        var expected = TestModels.Longs(WindowGeometry.Partition(rolled, windowSize));
        Assert.Equal(expected, WindowGeometry.WindowOrder(side, side, windowSize, shift));
    }

    [Fact]
    public void InverseUndoesTheOrder()
    {
        var order = WindowGeometry.WindowOrder(12, 12, 6, 3);
        var inverse = WindowGeometry.Inverse(order);
        Assert.Equal(Enumerable.Range(0, 144).Select(i => (long)i), order.Select(o => inverse[o]));
        Assert.NotEqual(order, inverse);
    }

    [Fact]
    public void GatheringTokensMatchesRollPartitionReverseRollBitForBit()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        int side = 8, ws = 4, s = 2, c = 3;
        var x = randn(2, side * side, c);
        var order = tensor(WindowGeometry.WindowOrder(side, side, ws, s));
        var windows = x.index_select(1, order).view(-1, ws * ws, c);
        var reference = WindowGeometry.Partition(x.view(2, side, side, c).roll([-s, -s], [1, 2]), ws).view(-1, ws * ws, c);
        Assert.True(windows.eq(reference).all().item<bool>());
        var back = windows.view(2, side * side, c).index_select(1, tensor(WindowGeometry.Inverse(WindowGeometry.WindowOrder(side, side, ws, s))));
        Assert.True(back.eq(x).all().item<bool>());
    }
}
