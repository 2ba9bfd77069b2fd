using System.Runtime.InteropServices;

namespace SimMim.Hardware;

/// <summary>
/// glibc malloc serves every block above its mmap threshold (adaptive, at most 32 MiB) with freshly mapped pages and
/// unmaps them on free, so each training step's large activations (a (64, 576, 384) fp32 tensor is 54 MiB) fault in
/// and are zeroed by the kernel again, step after step. Serving them from the heap instead, and not trimming it,
/// keeps those pages: +12–15 % training images/s on the small Swin benchmark, neutral on the ViT, peak RSS about the
/// same (docs/PERFORMANCE.md). The same setting as <c>GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=…</c>.
/// </summary>
public static class NativeHeap
{
    private const int TrimThreshold = -1;   // M_TRIM_THRESHOLD
    private const int MmapMax = -4;         // M_MMAP_MAX

    /// <summary>Applies the setting on Linux with glibc; false where there is no glibc mallopt (nothing changes then).</summary>
    public static bool KeepLargeBlocks()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            return Mallopt(MmapMax, 0) == 1 && Mallopt(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
