namespace SimMim.Hardware;

/// <summary>
/// What /proc/cpuinfo says about this machine, read once: the instruction-set flags (for bf16 support) and the
/// number of physical cores (the default thread count of the benchmark: SMT siblings share one core's FMA units).
/// </summary>
public sealed class CpuInfo
{
    private static readonly Lazy<CpuInfo> s_current = new(() => Parse(ReadProcCpuinfo()));

    private CpuInfo(IReadOnlySet<string> flags, int physicalCores, string modelName)
    {
        Flags = flags;
        PhysicalCores = physicalCores;
        ModelName = modelName;
    }

    /// <summary>This machine, parsed on first use.</summary>
    public static CpuInfo Current => s_current.Value;

    /// <summary>The flags of the first processor entry (e.g. avx512f, avx512_bf16, amx_bf16).</summary>
    public IReadOnlySet<string> Flags { get; }

    /// <summary>Distinct (physical id, core id) pairs; the logical processor count where those fields are absent.</summary>
    public int PhysicalCores { get; }

    public string ModelName { get; }

    /// <summary>True when the CPU computes bf16 dot products natively (AVX512-BF16 or AMX-BF16).</summary>
    public bool HasBf16 => Flags.Contains("avx512_bf16") || Flags.Contains("amx_bf16");

    /// <summary>Parses the text of /proc/cpuinfo; empty text (no /proc) gives no flags and the runtime's processor count.</summary>
    public static CpuInfo Parse(string cpuinfo)
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var cores = new HashSet<(string Package, string Core)>();
        string package = "0", model = "";
        int processors = 0;
        bool firstFlags = true;
        foreach (string line in cpuinfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0)
            {
                continue;
            }
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "processor":
                    processors++;
                    break;
                case "physical id":
                    package = value;
                    break;
                case "core id":
                    cores.Add((package, value));
                    break;
                case "model name" when model.Length == 0:
                    model = value;
                    break;
                case "flags" when firstFlags:
                    flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    firstFlags = false;
                    break;
            }
        }
        int physical = cores.Count > 0 ? cores.Count : processors > 0 ? processors : Environment.ProcessorCount;
        return new CpuInfo(flags, physical, model);
    }

    private static string ReadProcCpuinfo()
    {
        const string path = "/proc/cpuinfo";
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }
}
