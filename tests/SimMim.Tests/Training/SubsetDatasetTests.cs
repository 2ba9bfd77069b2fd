using SimMim.Data;

namespace SimMim.Tests.Training;

public class SubsetDatasetTests
{
    [Fact]
    public void TheLabelFractionSubsetIsStratifiedAndDeterministic()
    {
        var parent = new ProceduralDataset(1000, 8);   // 100 per class
        var a = SubsetDataset.Stratified(parent, 0.1, seed: 7);
        var b = SubsetDataset.Stratified(parent, 0.1, seed: 7);
        var c = SubsetDataset.Stratified(parent, 0.1, seed: 8);
        Assert.Equal(100, a.Count);
        Assert.Equal(a.Indices, b.Indices);
        Assert.NotEqual(a.Indices, c.Indices);
        Assert.All(Enumerable.Range(0, 10), k => Assert.Equal(10, Enumerable.Range(0, a.Count).Count(i => a.Label(i) == k)));
        Assert.Equal(a.Indices.Order(), a.Indices);
        // 1 % still keeps one sample of every class; a larger fraction of the same seed contains the smaller one.
        var tiny = SubsetDataset.Stratified(parent, 0.01, seed: 7);
        Assert.Equal(10, tiny.Count);
        Assert.Subset(SubsetDataset.Stratified(parent, 0.5, seed: 7).Indices.ToHashSet(), tiny.Indices.ToHashSet());
        Assert.Throws<ConfigException>(() => SubsetDataset.Stratified(parent, 0, 7));
    }

    [Fact]
    public void AHoldOutSplitsEveryClassInTwoDisjointDeterministicParts()
    {
        var parent = new ProceduralDataset(1000, 8);   // 100 per class
        var (kept, heldOut) = SubsetDataset.HoldOut(parent, 0.1, seed: 3);
        Assert.Equal(100, heldOut.Count);
        Assert.Equal(900, kept.Count);
        Assert.Empty(kept.Indices.Intersect(heldOut.Indices));
        Assert.Equal(Enumerable.Range(0, 1000), kept.Indices.Concat(heldOut.Indices).Order());
        Assert.All(Enumerable.Range(0, 10), k => Assert.Equal(10, Enumerable.Range(0, heldOut.Count).Count(i => heldOut.Label(i) == k)));
        Assert.Equal(heldOut.Indices.Order(), heldOut.Indices);
        Assert.Equal(heldOut.Indices, SubsetDataset.HoldOut(parent, 0.1, seed: 3).HeldOut.Indices);
        Assert.NotEqual(heldOut.Indices, SubsetDataset.HoldOut(parent, 0.1, seed: 4).HeldOut.Indices);
        // Its own shuffle: not the images a 10 % label fraction of the same seed would pick.
        Assert.NotEqual(heldOut.Indices, SubsetDataset.Stratified(parent, 0.1, seed: 3).Indices);
        Assert.Throws<ConfigException>(() => SubsetDataset.HoldOut(parent, 0, 3));
        Assert.Throws<ConfigException>(() => SubsetDataset.HoldOut(parent, 1, 3));
    }

    [Fact]
    public void AHoldOutNeverTakesAClassesLastImage()
    {
        var parent = new SubsetDataset(new ProceduralDataset(1000, 8), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);   // classes 0 and 1 twice
        var (kept, heldOut) = SubsetDataset.HoldOut(parent, 0.9, seed: 0);
        Assert.All(Enumerable.Range(0, 10), k => Assert.Contains(Enumerable.Range(0, kept.Count), i => kept.Label(i) == k));
        Assert.Equal(2, heldOut.Count);   // one of each pair; the single images stay
    }
}
