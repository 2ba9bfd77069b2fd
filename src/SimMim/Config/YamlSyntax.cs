using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SimMim.Config;

/// <summary>
/// Parses YAML text and turns a syntax error into one <see cref="ConfigException"/> line with the source, line and
/// column and a plain message. YamlDotNet 18 reports an unclosed flow collection (<c>[0.6</c> with no <c>]</c>)
/// either at the end of the text or as an InvalidOperationException with no position ("Operation is not valid due
/// to the current state of the object"); so after any syntax error the text is scanned for a bracket that was never
/// closed, and its position is the one reported.
/// </summary>
internal static partial class YamlSyntax
{
    /// <summary>The parsed documents of <paramref name="text"/>.</summary>
    /// <param name="text">YAML.</param>
    /// <param name="source">The file name the message starts with.</param>
    /// <exception cref="ConfigException">A syntax error: "SOURCE:LINE:COLUMN: YAML syntax error: …".</exception>
    public static YamlStream Load(string text, string source)
    {
        if (TryLoad(text, out YamlStream stream) is not { } error)
        {
            return stream;
        }
        throw new ConfigException(error.Line > 0
            ? $"{source}:{error.Line}:{error.Column}: YAML syntax error: {error.Message}"
            : $"{source}: YAML syntax error: {error.Message}", error.Exception);
    }

    /// <summary>Parses <paramref name="text"/> into <paramref name="stream"/>; the error when it is not YAML.</summary>
    public static SyntaxError? TryLoad(string text, out YamlStream stream)
    {
        stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
            return null;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // An unclosed bracket is where the user must look, wherever the parser noticed it (often at the end).
            if (UnclosedBracket(text) is var (line, column, bracket))
                return new SyntaxError(line, column, $"'{bracket}' is never closed (expected '{Closing(bracket)}')", e);
            return e is YamlException yaml
                ? new SyntaxError((int)yaml.Start.Line, (int)yaml.Start.Column, Describe(yaml), e)
                : new SyntaxError(0, 0, "the text ends inside a '[' list, '{' mapping or quoted value", e);
        }
    }

    /// <summary>Where (1-based; 0 = unknown) and what, in words for a user.</summary>
    internal sealed record SyntaxError(int Line, int Column, string Message, Exception Exception);

    /// <summary>The parser's own words without the "(Line: …, Col: …, Idx: …) - (…): " marks, on one line.</summary>
    private static string Describe(YamlException e)
    {
        string message = Marks().Replace(e.Message, "");
        string inner = e.InnerException is YamlException innerYaml ? Marks().Replace(innerYaml.Message, "") : "";
        string text = inner.Length > 0 && !message.Contains(inner, StringComparison.Ordinal) ? $"{message} ({inner})" : message;
        return string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static char Closing(char bracket) => bracket == '[' ? ']' : '}';

    /// <summary>
    /// The outermost '[' or '{' (1-based line and column) that opens a flow collection and is never closed, or
    /// null. Skips quoted scalars and comments; in block context a bracket opens a collection only where a value
    /// starts (after indentation, "KEY: " or "- "), since a plain scalar such as <c>a[1]</c> may contain one.
    /// </summary>
    internal static (int Line, int Column, char Bracket)? UnclosedBracket(string text)
    {
        var open = new Stack<(int Line, int Column, char Bracket)>();
        int line = 1, column = 0;
        bool valueStart = true;   // in block context: only spaces since the line start, "- " or ": "
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            column++;
            if (c == '\n')
            {
                (line, column, valueStart) = (line + 1, 0, true);
                continue;
            }
            bool afterSpace = i == 0 || text[i - 1] is ' ' or '\t' or '\n';
            if (c == '#' && afterSpace)
            {
                while (i + 1 < text.Length && text[i + 1] != '\n')
                {
                    i++;
                }
                continue;
            }
            bool inFlow = open.Count > 0;
            if ((c == '\'' || c == '"') && (inFlow || valueStart))
            {
                // Skip the quoted scalar ('' escapes a single quote, \ escapes in double quotes).
                for (i++; i < text.Length; i++)
                {
                    column++;
                    if (text[i] == '\n')
                    {
                        (line, column) = (line + 1, 0);
                    }
                    else if (c == '"' && text[i] == '\\')
                    {
                        i++;
                        column++;
                    }
                    else if (text[i] == c && (c == '"' || i + 1 >= text.Length || text[i + 1] != '\''))
                    {
                        break;
                    }
                    else if (text[i] == c)
                    {
                        i++;
                        column++;
                    }
                }
                valueStart = false;
                continue;
            }
            if ((c == '[' || c == '{') && (inFlow || valueStart))
            {
                open.Push((line, column, c));
                continue;
            }
            if ((c == ']' || c == '}') && inFlow)
            {
                open.Pop();
                continue;
            }
            if (!inFlow)
            {
                bool indicator = (c == '-' || c == ':') && (i + 1 >= text.Length || text[i + 1] is ' ' or '\t' or '\n');
                valueStart = indicator || (valueStart && c is ' ' or '\t');
            }
        }
        return open.Count > 0 ? open.Last() : null;
    }

    [GeneratedRegex(@"\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex Marks();
}
