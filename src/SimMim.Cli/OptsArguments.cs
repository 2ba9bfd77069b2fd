namespace SimMim.Cli;

/// <summary>
/// The reference takes config overrides as `--opts KEY VALUE [KEY VALUE ...]` (argparse nargs='+'). Spectre binds
/// one value per option occurrence, so the run of tokens after --opts is rewritten to `--opts=TOKEN` each, which
/// also keeps values such as -1 from being read as options.
/// </summary>
public static class OptsArguments
{
    public static string[] Normalize(IReadOnlyList<string> args)
    {
        var result = new List<string>(args.Count);
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] != "--opts")
            {
                result.Add(args[i]);
                continue;
            }
            while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                result.Add("--opts=" + args[++i]);
        }
        return result.ToArray();
    }
}
