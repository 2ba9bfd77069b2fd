using System.Collections;
using System.Reflection;
using SimMim.Config;

namespace SimMim.Tests.Config;

/// <summary>Where the repository's configs and the reference YAMLs live, and scratch folders for YAML snippets.</summary>
internal static class ConfigTestFiles
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string ConfigsDir => Path.Combine(RepoRoot, "configs");

    /// <summary>Our copies of the reference's nine run YAMLs (same values and names), inside the repository.</summary>
    public static string ReferenceConfigsDir => Path.Combine(ConfigsDir, "reference");

    public static string Reference(string name) => Path.Combine(ReferenceConfigsDir, name + ".yaml");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SimMim.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no SimMim.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>Paths (KEY.SUB) whose values differ; lists compare by items, since records compare them by reference.</summary>
    public static List<string> Differences(object expected, object actual, string prefix = "")
    {
        var differences = new List<string>();
        foreach (PropertyInfo p in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            object? e = p.GetValue(expected);
            object? a = p.GetValue(actual);
            string path = prefix + p.Name;
            if (e is not null && a is not null && UpperSnakeNaming.IsSection(e.GetType()))
            {
                differences.AddRange(Differences(e, a, path + "."));
            }
            else if (e is IEnumerable ei and not string && a is IEnumerable ai and not string)
            {
                if (!ei.Cast<object>().SequenceEqual(ai.Cast<object>()))
                {
                    differences.Add($"{path}: [{string.Join(", ", ei.Cast<object>())}] != [{string.Join(", ", ai.Cast<object>())}]");
                }
            }
            else if (!Equals(e, a))
            {
                differences.Add($"{path}: {e ?? "null"} != {a ?? "null"}");
            }
        }
        return differences;
    }

    public static void AssertSameConfig(SimMimConfig expected, SimMimConfig actual) =>
        Assert.Empty(Differences(expected, actual));
}
