using System.Globalization;

namespace SimMim.Hardware;

/// <summary>How much memory a run may still take on this machine.</summary>
public static class AvailableMemory
{
    /// <summary>
    /// The kernel's MemAvailable (free memory plus the caches it can drop, without swapping), capped by the memory
    /// limit .NET sees (a container's cgroup limit, else the physical memory). Where /proc is absent, the limit.
    /// </summary>
    public static long Bytes()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        const string meminfo = "/proc/meminfo";
        long? available = File.Exists(meminfo) ? ParseMemAvailable(File.ReadAllText(meminfo)) : null;
        return available is long bytes && (limit <= 0 || bytes < limit) ? bytes : limit;
    }

    /// <summary>MemAvailable from the text of /proc/meminfo, in bytes; null when the line is missing.</summary>
    public static long? ParseMemAvailable(string meminfo)
    {
        ArgumentNullException.ThrowIfNull(meminfo);
        foreach (string line in meminfo.Split('\n'))
        {
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                continue;
            }
            string[] parts = line["MemAvailable:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kb)
                ? kb * 1024
                : null;
        }
        return null;
    }
}
