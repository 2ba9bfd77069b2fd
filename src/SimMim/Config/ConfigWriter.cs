using System.Collections;
using System.Globalization;
using System.Text;

namespace SimMim.Config;

/// <summary>
/// Writes the full resolved configuration as YAML with the reference's key names, one key per property in
/// declaration order. The trainer stores it next to each checkpoint; <see cref="ConfigLoader"/> reads it back to an
/// equal config, and yacs can read it too (floats always carry a '.' or an exponent, booleans are True/False).
/// </summary>
public static class ConfigWriter
{
    public static string ToYaml(SimMimConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sb = new StringBuilder();
        WriteSection(sb, config, indent: 0);
        return sb.ToString();
    }

    private static void WriteSection(StringBuilder sb, object section, int indent)
    {
        foreach (ConfigKey key in UpperSnakeNaming.Keys(section.GetType()))
        {
            object? value = key.Property.GetValue(section);
            sb.Append(' ', indent).Append(key.Name).Append(':');
            if (value is not null && UpperSnakeNaming.IsSection(value.GetType()))
            {
                sb.Append('\n');
                WriteSection(sb, value, indent + 2);
            }
            else
            {
                sb.Append(' ').Append(Format(value)).Append('\n');
            }
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "null",
        bool b => b ? "True" : "False",
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        string s => Quote(s),
        IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Select(Format)) + "]",
        _ => throw new InvalidOperationException($"config value of unsupported type {value.GetType()}"),
    };

    // "R" round-trips exactly; PyYAML reads "4" as an int, which yacs would refuse for a float key, hence ".0".
    private static string FormatDouble(double d)
    {
        string text = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
        return text.Contains('.') || text.Contains('e') ? text : text + ".0";
    }

    // Single-quoted YAML: only the quote itself needs escaping. Line breaks would fold, so they use double quotes.
    private static string Quote(string s) =>
        s.Contains('\n') || s.Contains('\r') || s.Contains('\t')
            ? "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r")
                .Replace("\t", "\\t") + "\""
            : "'" + s.Replace("'", "''") + "'";
}
