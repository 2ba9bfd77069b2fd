using System.ComponentModel;
using SimMim.Config;
using Spectre.Console.Cli;

namespace SimMim.Cli.Settings;

/// <summary>Flags of the verbs that write a run directory: where (OUTPUT/MODEL.NAME/TAG), as the reference's flags set it.</summary>
public class OutputSettings : ConfigSettings
{
    [CommandOption("--output <DIR>")]
    [Description("Output root (overrides OUTPUT); the run writes to OUTPUT/MODEL.NAME/TAG. Default: output")]
    public string? Output { get; init; }

    [CommandOption("--tag <TAG>")]
    [Description("Run tag (overrides TAG)")]
    public string? Tag { get; init; }

    /// <summary>The config file with --opts, --data-path, --batch-size, --output and --tag applied.</summary>
    public SimMimConfig LoadRunConfig()
    {
        var config = LoadConfig();
        if (Output is not null) config = config with { Output = Output };
        if (Tag is not null) config = config with { Tag = Tag };
        return config;
    }
}
