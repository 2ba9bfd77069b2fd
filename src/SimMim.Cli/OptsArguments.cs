namespace SimMim.Cli;

/// <summary>
/// The reference takes config overrides as `--opts KEY VALUE [KEY VALUE ...]` (argparse nargs='+'). Spectre binds
/// one value per option occurrence, so the run of tokens after --opts is rewritten to `--opts=TOKEN` each, which
/// also keeps values such as -1 from being read as options.
/// </summary>
public static class OptsArguments
{
    /// <exception cref="ConfigException">--opts with nothing after it.</exception>
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
            int first = i + 1;
            while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                result.Add("--opts=" + args[++i]);
            // Without this, a bare --opts vanished and the verb ran with the config's own values.
            if (i < first)
                throw new ConfigException("--opts needs KEY VALUE pairs, e.g. --opts TRAIN.EPOCHS 2 DATA.BATCH_SIZE 32");
        }
        return result.ToArray();
    }
}
