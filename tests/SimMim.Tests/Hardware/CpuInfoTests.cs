using SimMim.Hardware;

namespace SimMim.Tests.Hardware;

public class CpuInfoTests
{
    // Two physical cores with two SMT siblings each, as /proc/cpuinfo lists them (trimmed).
    private const string SmtMachine = """
        processor	: 0
        model name	: Test CPU
        physical id	: 0
        core id		: 0
        flags		: fpu avx2 avx512f avx512_bf16

        processor	: 1
        model name	: Test CPU
        physical id	: 0
        core id		: 1
        flags		: fpu avx2 avx512f avx512_bf16

        processor	: 2
        model name	: Test CPU
        physical id	: 0
        core id		: 0
        flags		: fpu avx2 avx512f avx512_bf16

        processor	: 3
        model name	: Test CPU
        physical id	: 0
        core id		: 1
        flags		: fpu avx2 avx512f avx512_bf16
        """;

    [Fact]
    public void SmtSiblingsCountAsOneCoreAndBf16FlagsAreSeen()
    {
        var cpu = CpuInfo.Parse(SmtMachine);
        Assert.Equal(2, cpu.PhysicalCores);
        Assert.True(cpu.HasBf16);
        Assert.Equal("Test CPU", cpu.ModelName);
    }

    [Fact]
    public void AmxAloneCountsAsBf16AndAvx2AloneDoesNot()
    {
        Assert.True(CpuInfo.Parse("processor : 0\nflags : avx2 amx_bf16 amx_tile\n").HasBf16);
        Assert.False(CpuInfo.Parse("processor : 0\nflags : avx2 avx512f\n").HasBf16);
    }

    [Fact]
    public void WithoutCoreIdsTheProcessorsCount()
    {
        Assert.Equal(3, CpuInfo.Parse("processor : 0\nprocessor : 1\nprocessor : 2\n").PhysicalCores);
        Assert.Equal(Environment.ProcessorCount, CpuInfo.Parse("").PhysicalCores);
    }

    [Fact]
    public void ThisMachineHasAtLeastOneCore()
    {
        Assert.InRange(CpuInfo.Current.PhysicalCores, 1, Environment.ProcessorCount);
    }
}
