using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SimMim.Config;

// Turns one YAML value into the type of the record property that receives it, the way yacs does: numbers may be
// written 1e-4 or 2.5e-7, booleans True/False in any case, tuples as lists, None/null only where the reference allows
// None. An int key refuses 4.0; a float key accepts 4. Errors name the key path and the offending text.
internal static partial class ConfigValues
{
    private static readonly NullabilityInfoContext s_nullability = new();

    public static object? Convert(YamlNode node, PropertyInfo property, string keyPath, string where)
    {
        bool nullable = s_nullability.Create(property).WriteState == NullabilityState.Nullable;
        return Convert(node, property.PropertyType, nullable, keyPath, where);
    }

    private static object? Convert(YamlNode node, Type type, bool nullable, string keyPath, string where)
    {
        if (IsNull(node))
        {
            return nullable ? null : throw Error(where, keyPath, $"expected {Describe(type)}, got null");
        }
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            if (node is not YamlSequenceNode sequence)
            {
                throw Error(where, keyPath, $"expected {Describe(target)}, got {Show(node)}");
            }
            Type item = target.GetGenericArguments()[0];
            var list = Array.CreateInstance(item, sequence.Children.Count);
            for (int i = 0; i < list.Length; i++)
            {
                list.SetValue(Convert(sequence.Children[i], item, false, $"{keyPath}[{i}]", where), i);
            }
            return list;
        }
        if (node is not YamlScalarNode scalar)
        {
            throw Error(where, keyPath, $"expected {Describe(target)}, got {Show(node)}");
        }
        string text = (scalar.Value ?? "").Trim();
        if (target == typeof(string))
        {
            return scalar.Value ?? "";
        }
        if (target == typeof(bool))
        {
            return text.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                _ => throw Error(where, keyPath, $"expected True or False, got {Show(node)}"),
            };
        }
        if (target == typeof(int))
        {
            return IntegerPattern().IsMatch(text) && int.TryParse(text, NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture, out int i)
                ? i
                : throw Error(where, keyPath, $"expected an integer, got {Show(node)}");
        }
        if (target == typeof(double))
        {
            return NumberPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float,
                CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)
                ? d
                : throw Error(where, keyPath, $"expected a number, got {Show(node)}");
        }
        throw new InvalidOperationException($"config key {keyPath} has unsupported type {type}");
    }

    /// <summary>yacs/PyYAML spellings of None; a quoted '' is an empty string, not None.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s
        && (s.Value ?? "") is "" or "~" or "null" or "Null" or "NULL" or "None";

    public static ConfigException Error(string where, string keyPath, string message) =>
        new($"{where}: {keyPath}: {message}");

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(string) => "a string",
        _ when type == typeof(bool) => "True or False",
        _ when type == typeof(int) => "an integer",
        _ when type == typeof(double) => "a number",
        _ when type == typeof(IReadOnlyList<int>) => "a list of integers",
        _ when type == typeof(IReadOnlyList<double>) => "a list of numbers",
        _ when type == typeof(IReadOnlyList<string>) => "a list of strings",
        _ => type.Name,
    };

    private static string Show(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    // Decimal literals only: rejects .inf, NaN, Infinity and hex, which double.TryParse would otherwise accept.
    [GeneratedRegex(@"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")]
    private static partial Regex NumberPattern();
}
