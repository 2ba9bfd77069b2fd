namespace SimMim.Training;

/// <summary>Resident set size of this process, read where the kernel publishes it.</summary>
public static class ProcessMemory
{
    /// <summary>Current RSS in bytes (VmRSS), or the managed working set where /proc is absent.</summary>
    public static long ResidentBytes() => ReadStatusKilobytes("VmRSS:") * 1024 is > 0 and var rss ? rss : Environment.WorkingSet;

    /// <summary>Peak RSS in bytes (VmHWM), or 0 where /proc is absent.</summary>
    public static long PeakResidentBytes() => ReadStatusKilobytes("VmHWM:") * 1024;

    private static long ReadStatusKilobytes(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return 0;
        foreach (string line in File.ReadLines(status))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0]);
        return 0;
    }
}
