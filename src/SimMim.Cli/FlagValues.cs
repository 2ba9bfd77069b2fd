using System.Globalization;
using System.Numerics;
using System.Reflection;
using Spectre.Console.Cli;

namespace SimMim.Cli;

/// <summary>
/// Checks the value of every option on the command line before Spectre binds it, so that a mistake is one line
/// naming the flag. Spectre itself says "Failed to convert 'abc' to Nullable`1." for a value of the wrong type, and
/// fills a missing value with its internal token "__default_command" (so `--cfg` alone looked for a config file of
/// that name).
/// </summary>
public static class FlagValues
{
    /// <summary>One option of a verb: its long name, the value placeholder of its template (null for a switch such as
    /// --augment) and the property type it binds to.</summary>
    public sealed record Option(string Name, string? ValueName, bool ValueIsOptional, Type Type);

    /// <summary>The options <paramref name="settingsType"/> declares (its own and inherited), by long name.</summary>
    public static IReadOnlyDictionary<string, Option> Options(Type settingsType)
    {
        ArgumentNullException.ThrowIfNull(settingsType);
        var options = new Dictionary<string, Option>(StringComparer.Ordinal);
        foreach (PropertyInfo property in settingsType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is not { } attribute)
            {
                continue;
            }
            foreach (string name in attribute.LongNames)
            {
                options[name] = new Option(name, attribute.ValueName, attribute.ValueIsOptional, property.PropertyType);
            }
        }
        return options;
    }

    /// <summary>Refuses an option of <paramref name="settingsType"/> without its value or with one of another type.</summary>
    /// <param name="args">The arguments after the verb (with --opts already normalised).</param>
    /// <param name="settingsType">The verb's settings class.</param>
    /// <exception cref="ConfigException">"--cfg needs a value …", "--batch-size: 'abc' is not an integer", ….</exception>
    public static void Check(IReadOnlyList<string> args, Type settingsType)
    {
        ArgumentNullException.ThrowIfNull(args);
        IReadOnlyDictionary<string, Option> options = Options(settingsType);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                break;   // the rest are arguments
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                continue;
            }
            int separator = arg.IndexOfAny(['=', ':']);
            string name = separator < 0 ? arg[2..] : arg[2..separator];
            // Unknown options and switches are Spectre's to report.
            if (!options.TryGetValue(name, out Option? option) || option.ValueName is null)
            {
                continue;
            }
            string? value = separator >= 0 ? arg[(separator + 1)..]
                : i + 1 < args.Count && !IsOptionName(args[i + 1]) ? args[++i]
                : null;
            if (value is null)
            {
                if (option.ValueIsOptional)
                {
                    continue;
                }
                throw new ConfigException($"--{name} needs a value: --{name} <{option.ValueName}>");
            }
            CheckType(option, value);
        }
    }

    /// <summary>"--x" or "-x", but not a negative number such as -1 or -1e-3, which is a value.</summary>
    private static bool IsOptionName(string token) =>
        token.Length > 1 && token[0] == '-'
        && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static void CheckType(Option option, string value)
    {
        Type type = Nullable.GetUnderlyingType(option.Type) ?? option.Type;
        string flag = "--" + option.Name;
        if (type == typeof(int))
        {
            if (int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                return;
            }
            throw new ConfigException(
                BigInteger.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                    ? $"{flag}: '{value}' is out of range (an integer from {int.MinValue} to {int.MaxValue})"
                    : $"{flag}: '{value}' is not an integer");
        }
        if (type == typeof(double))
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
            {
                throw new ConfigException($"{flag}: '{value}' is not a number");
            }
            if (!double.IsFinite(number))
            {
                throw new ConfigException($"{flag}: '{value}' is not a finite number");
            }
        }
        // Strings (paths, names, and --precision / --to, whose allowed words the settings check) take any value.
    }
}
