using SimMim.Cli;
using SimMim.Cli.Commands;

namespace SimMim.Tests.Cli;

public class FlagValuesTests
{
    [Fact]
    public void OptionsAreReadFromTheSettingsAndTheirBaseClasses()
    {
        var options = FlagValues.Options(typeof(PretrainCommand.Settings));

        Assert.Equal("FILE", options["cfg"].ValueName);                     // ConfigSettings
        Assert.Equal(typeof(int?), options["batch-size"].Type);
        Assert.Equal("TAG", options["tag"].ValueName);                      // OutputSettings
        Assert.Equal(typeof(int?), options["accumulation-steps"].Type);     // the verb's own
        Assert.Null(FlagValues.Options(typeof(LinprobeCommand.Settings))["augment"].ValueName);   // a switch
    }

    [Theory]
    [InlineData(typeof(ReconstructCommand.Settings), "--seed", "-1")]
    [InlineData(typeof(FinetuneCommand.Settings), "--holdout", "-1e-3")]
    [InlineData(typeof(FinetuneCommand.Settings), "--tag", "-")]
    public void ANegativeNumberOrADashIsAValueNotAMissingOne(Type settings, string flag, string value)
    {
        FlagValues.Check([flag, value], settings);   // the range is the settings' to check, not a missing value
    }

    [Fact]
    public void SwitchesUnknownOptionsAndArgumentsAfterDoubleDashAreLeftToSpectre()
    {
        FlagValues.Check(["--augment", "--block", "2"], typeof(LinprobeCommand.Settings));
        FlagValues.Check(["--no-such-flag"], typeof(PretrainCommand.Settings));
        FlagValues.Check(["--", "--cfg"], typeof(PretrainCommand.Settings));
    }

    [Fact]
    public void EveryVerbOfTheHelpHasItsSettingsListed()
    {
        var help = CliRun.Run(400, "--help");
        var verbs = help.Out.SkipWhile(l => !l.StartsWith("COMMANDS", StringComparison.Ordinal)).Skip(1)
            .Select(l => l.Split(' ', 2)[0]).Where(v => v.Length > 0).ToArray();

        Assert.Equal(verbs.Order(), SimMimApp.SettingsByVerb.Keys.Order());
        Assert.Equal(9, verbs.Length);
    }
}
