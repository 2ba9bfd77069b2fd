using SimMim.Config;
using SimMim.Models.Swin;

namespace SimMim.Tests.Config;

public class ConfigRangesTests
{
    /// <summary>Every numeric key of the config records, by reflection: a new key without a range fails here.</summary>
    private static List<string> NumericKeys(Type section, string prefix = "")
    {
        var keys = new List<string>();
        foreach (ConfigKey key in UpperSnakeNaming.Keys(section))
        {
            Type type = key.Property.PropertyType;
            if (UpperSnakeNaming.IsSection(type))
                keys.AddRange(NumericKeys(type, prefix + key.Name + "."));
            else if (ConfigRanges.IsNumeric(type))
                keys.Add(prefix + key.Name);
        }
        return keys;
    }

    [Fact]
    public void EveryNumericKeyHasARangeAndEveryRangeAKey()
    {
        List<string> keys = NumericKeys(typeof(SimMimConfig));

        Assert.Empty(keys.Except(ConfigRanges.ByKey.Keys));
        Assert.Empty(ConfigRanges.ByKey.Keys.Except(keys));
        Assert.True(keys.Count >= 55, $"{keys.Count} numeric keys");
    }

    [Fact]
    public void TheDefaultsAndEveryConfigInTheRepoAreInRange()
    {
        Assert.Empty(ConfigRanges.Check(new SimMimConfig()));
        foreach (string file in Directory.GetFiles(ConfigTestFiles.ConfigsDir, "*.yaml", SearchOption.AllDirectories))
            Assert.True(ConfigRanges.Check(ConfigLoader.Load(file)) is [], file);
    }

    [Fact]
    public void ListItemsAreCheckedOneByOneAndNamedByIndex()
    {
        var config = new SimMimConfig
        {
            Model = new ModelConfig { Swin = new SwinConfig { Depths = [2, 0, 6, -1] } },
        };

        Assert.Equal(["MODEL.SWIN.DEPTHS[1] must be at least 1, got 0", "MODEL.SWIN.DEPTHS[3] must be at least 1, got -1"],
            ConfigRanges.Check(config));
    }

    [Fact]
    public void ThreadsAreBoundedByTheLogicalCores()
    {
        Assert.True(OptionRanges.Threads.Contains(Environment.ProcessorCount));
        Assert.False(OptionRanges.Threads.Contains(Environment.ProcessorCount + 1));
        Assert.False(OptionRanges.Threads.Contains(0));
    }
}
