using SimMim.Hardware;

namespace SimMim.Tests.Hardware;

public class NativeHeapTests
{
    [Fact]
    public void GlibcAcceptsTheSettingOnLinux()
    {
        // The project's machines are Debian (glibc): mallopt exists and accepts both parameters.
        Assert.Equal(OperatingSystem.IsLinux(), NativeHeap.KeepLargeBlocks());
    }
}
