using static TorchSharp.torch;

namespace SimMim.Tests;

public class NativeLoadTests
{
    [Fact]
    public void TorchSharpLoadsAndComputes()
    {
        using var x = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var y = x.matmul(x.t());
        Assert.Equal(new float[] { 5, 14, 14, 50 }, y.data<float>().ToArray());
    }

    [Fact]
    public void OutputFolderHoldsThePatchedLibraryAndNoFallbackCopy()
    {
        string dir = AppContext.BaseDirectory;
        Assert.True(File.Exists(Path.Combine(dir, "libLibTorchSharp.so")));
        // TorchSharp copies an unpatched library into cpu/ when loading from the output folder failed.
        Assert.False(Directory.Exists(Path.Combine(dir, "cpu")), "TorchSharp fell back to its NuGet copy");
    }
}
