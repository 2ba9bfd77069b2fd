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
}
