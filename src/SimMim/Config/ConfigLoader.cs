using SimMim.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SimMim.Config;

/// <summary>
/// Reads a run configuration the way the reference's yacs code does: defaults (config.py), then the BASE files the
/// YAML names (recursively, relative to the including file), then the YAML itself, then <c>--opts KEY VALUE</c>
/// pairs. Keys are the reference's UPPER_SNAKE names; every problem is a one-line <see cref="ConfigException"/>
/// naming the file (and line) and the full key path.
/// </summary>
public static class ConfigLoader
{
    private const string OptsSource = "--opts";
    private static readonly string[] s_baseKeys = ["BASE", "_BASE_"];

    /// <summary>Loads <paramref name="cfgFile"/> (none: defaults only) and applies <paramref name="opts"/>.</summary>
    /// <param name="cfgFile">A YAML file in the reference's schema, or null/empty for the defaults.</param>
    /// <param name="opts">Flat KEY VALUE pairs such as <c>TRAIN.BASE_LR 1e-3 MODEL.SWIN.DEPTHS [2,2,2]</c>.</param>
    public static SimMimConfig Load(string? cfgFile, IReadOnlyList<string>? opts = null)
    {
        // A fresh tree that nobody else can see yet: merging sets its init-only properties through reflection and
        // the finished records are never changed after this method returns.
        var config = new SimMimConfig();
        if (!string.IsNullOrEmpty(cfgFile))
        {
            MergeFile(config, cfgFile, includedFrom: null, chain: []);
        }
        if (opts is { Count: > 0 })
        {
            MergeOpts(config, opts);
        }
        return config;
    }

    private static void MergeFile(SimMimConfig config, string path, string? includedFrom, List<string> chain)
    {
        string fullPath = Path.GetFullPath(path);
        if (chain.Contains(fullPath))
        {
            string cycle = string.Join(" -> ", chain.Append(fullPath).Select(Path.GetFileName));
            throw new ConfigException($"{includedFrom}: BASE cycle: {cycle}");
        }
        UserPaths.RequireFile(path, includedFrom is null ? "config file" : "BASE file", InputKind.Config, includedFrom);
        YamlMappingNode? root = Parse(UserPaths.ReadAllText(path, "config file", InputKind.Config), path);
        if (root is null)
        {
            return;
        }

        string directory = Path.GetDirectoryName(path) ?? "";
        foreach ((YamlNode keyNode, string basePath) in BaseFiles(root, path))
        {
            MergeFile(config, Path.Combine(directory, basePath), $"{path}:{keyNode.Start.Line}", [.. chain, fullPath]);
        }
        MergeMapping(config, root, "", path);
    }

    /// <summary>The document's top-level mapping, or null for an empty file.</summary>
    private static YamlMappingNode? Parse(string text, string source)
    {
        YamlStream stream = YamlSyntax.Load(text, source);
        if (stream.Documents.Count > 1)
        {
            throw new ConfigException($"{source}: expected one YAML document, found {stream.Documents.Count}");
        }
        if (stream.Documents.Count == 0 || ConfigValues.IsNull(stream.Documents[0].RootNode))
        {
            return null;
        }
        return stream.Documents[0].RootNode as YamlMappingNode
            ?? throw new ConfigException($"{source}: expected a mapping of config keys at the top level");
    }

    /// <summary>BASE (the reference's list) or _BASE_ (a name or a list); '' entries mean "none".</summary>
    private static IEnumerable<(YamlNode Key, string Path)> BaseFiles(YamlMappingNode root, string source)
    {
        var found = new List<(YamlNode, string)>();
        foreach ((YamlNode key, YamlNode value) in root.Children)
        {
            if (key is not YamlScalarNode { Value: { } name } || !s_baseKeys.Contains(name))
            {
                continue;
            }
            IEnumerable<YamlNode> items = value switch
            {
                YamlSequenceNode sequence => sequence.Children,
                YamlScalarNode scalar when !ConfigValues.IsNull(scalar) => [scalar],
                YamlScalarNode => [],
                _ => throw ConfigValues.Error($"{source}:{value.Start.Line}", name, "expected a file name or a list of them"),
            };
            foreach (YamlNode item in items)
            {
                if (item is not YamlScalarNode { Value: { } file })
                {
                    throw ConfigValues.Error($"{source}:{item.Start.Line}", name, "expected a file name");
                }
                if (file.Length > 0)
                {
                    found.Add((key, file));
                }
            }
        }
        return found;
    }

    private static void MergeMapping(object section, YamlMappingNode mapping, string prefix, string source)
    {
        foreach ((YamlNode keyNode, YamlNode value) in mapping.Children)
        {
            string where = $"{source}:{keyNode.Start.Line}";
            if (keyNode is not YamlScalarNode { Value: { } name })
            {
                throw new ConfigException($"{where}: a config key must be a plain name");
            }
            if (prefix.Length == 0 && s_baseKeys.Contains(name))
            {
                continue; // already merged by MergeFile; the resolved config keeps BASE = [''].
            }
            string keyPath = prefix + name;
            ConfigKey key = UpperSnakeNaming.Find(section.GetType(), name)
                ?? throw UnknownKey(where, section.GetType(), prefix, name);
            if (UpperSnakeNaming.IsSection(key.Property.PropertyType))
            {
                if (value is YamlMappingNode child)
                {
                    MergeMapping(key.Property.GetValue(section)!, child, keyPath + ".", source);
                    continue;
                }
                throw ConfigValues.Error($"{source}:{value.Start.Line}", keyPath, "expected a mapping of keys");
            }
            key.Property.SetValue(section, ConfigValues.Convert(value, key.Property, keyPath, where));
        }
    }

    private static void MergeOpts(SimMimConfig config, IReadOnlyList<string> opts)
    {
        if (opts.Count % 2 != 0)
        {
            throw new ConfigException(
                $"{OptsSource}: expected KEY VALUE pairs, got an odd number of items ({opts.Count}): {string.Join(' ', opts)}");
        }
        for (int i = 0; i < opts.Count; i += 2)
        {
            string keyPath = opts[i];
            string text = opts[i + 1];
            if (s_baseKeys.Contains(keyPath))
            {
                throw new ConfigException($"{OptsSource}: {keyPath} can only be given in a config file");
            }

            object section = config;
            string[] parts = keyPath.Split('.');
            for (int p = 0; p < parts.Length; p++)
            {
                string prefix = string.Join('.', parts[..p]);
                ConfigKey key = UpperSnakeNaming.Find(section.GetType(), parts[p])
                    ?? throw UnknownKey(OptsSource, section.GetType(), prefix.Length == 0 ? "" : prefix + ".", parts[p]);
                bool last = p == parts.Length - 1;
                bool isSection = UpperSnakeNaming.IsSection(key.Property.PropertyType);
                if (isSection && last)
                {
                    throw new ConfigException($"{OptsSource}: {keyPath} is a section; set its keys one by one");
                }
                if (!isSection && !last)
                {
                    throw UnknownKey(OptsSource, section.GetType(), prefix.Length == 0 ? "" : prefix + ".",
                        string.Join('.', parts[p..]));
                }
                if (isSection)
                {
                    section = key.Property.GetValue(section)!;
                    continue;
                }
                YamlNode node = key.Property.PropertyType == typeof(string)
                    ? new YamlScalarNode(Unquote(text)) { Style = ScalarStyle.SingleQuoted }
                    : ParseOptValue(text, keyPath);
                key.Property.SetValue(section, ConfigValues.Convert(node, key.Property, keyPath, OptsSource));
            }
        }
    }

    /// <summary>A command-line value as a YAML flow value; Python tuples "(0.9, 0.95)" are read as lists.</summary>
    private static YamlNode ParseOptValue(string text, string keyPath)
    {
        string trimmed = text.Trim();
        if (trimmed.StartsWith('(') && trimmed.EndsWith(')'))
        {
            trimmed = "[" + trimmed[1..^1] + "]";
        }
        if (YamlSyntax.TryLoad(trimmed, out YamlStream stream) is { } error)
        {
            throw ConfigValues.Error(OptsSource, keyPath, $"cannot parse '{text}': {error.Message}");
        }
        return stream.Documents.Count == 0 ? new YamlScalarNode("") : stream.Documents[0].RootNode;
    }

    private static string Unquote(string text) =>
        text.Length >= 2 && (text[0] == '\'' || text[0] == '"') && text[^1] == text[0] ? text[1..^1] : text;

    private static ConfigException UnknownKey(string where, Type section, string prefix, string name)
    {
        string? nearest = UpperSnakeNaming.Nearest(section, name);
        string hint = nearest is null ? "" : $" (did you mean {prefix}{nearest}?)";
        return new ConfigException($"{where}: unknown key {prefix}{name}{hint}");
    }
}
