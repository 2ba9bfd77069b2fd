using System.Text;

namespace SimMim.Cli;

/// <summary>
/// Refuses command-line arguments that are not valid UTF-8 (a file name made in bash as $'\xff.png'). .NET decodes
/// argv as UTF-8, replacing every invalid byte by U+FFFD before Main sees it, and encodes paths back as UTF-8 (U+FFFD
/// as EF BF BD), so no .NET file API can reach such a name: an input would be "not found" and an output would be
/// created under another name. The bytes as given are in /proc/self/cmdline, which this compares with.
/// </summary>
internal static class ArgumentEncoding
{
    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="ConfigException">An argument was not valid UTF-8.</exception>
    public static void Check(IReadOnlyList<string> args) => Check(args, CommandLine());

    /// <param name="args">The arguments as .NET decoded them.</param>
    /// <param name="rawArguments">This process's arguments as bytes (the program first).</param>
    internal static void Check(IReadOnlyList<string> args, IReadOnlyList<byte[]> rawArguments)
    {
        // Only arguments holding U+FFFD can have been decoded from invalid bytes.
        if (!args.Any(a => a.Contains('\uFFFD'))) return;
        foreach (byte[] raw in rawArguments)
        {
            try
            {
                s_strict.GetString(raw);
            }
            catch (DecoderFallbackException)
            {
                throw new ConfigException(
                    $"the argument {Escaped(raw)} is not valid UTF-8: .NET reads it as '{Encoding.UTF8.GetString(raw)}' and cannot " +
                    "open or create a file of that name; rename the file or folder to a UTF-8 name");
            }
        }
    }

    private static IReadOnlyList<byte[]> CommandLine()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes("/proc/self/cmdline");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];   // no /proc: nothing to compare with
        }
        var arguments = new List<byte[]>();
        for (int start = 0; start < bytes.Length;)
        {
            int end = Array.IndexOf(bytes, (byte)0, start);
            if (end < 0) end = bytes.Length;
            arguments.Add(bytes[start..end]);
            start = end + 1;
        }
        return arguments;
    }

    // Printable ASCII as it is, every other byte as \xNN, the way bash's $'…' writes it.
    private static string Escaped(byte[] raw) =>
        "$'" + string.Concat(raw.Select(b => b is >= 0x20 and < 0x7F and not (byte)'\'' and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:x2}")) + "'";
}
