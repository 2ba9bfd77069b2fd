using SimMim.Checkpoints;

namespace SimMim.Tests.Checkpoints;

public class AtomicFileTests
{
    [Fact]
    public void AFailedWriteLeavesThePreviousFileIntactAndNoTemporary()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-atomic").FullName;
        string path = Path.Combine(dir, "ckpt.pth");
        AtomicFile.Write(path, s => s.Write("first"u8));

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write("half of the seco"u8);
            throw new InvalidOperationException("disk full");
        }));

        Assert.Equal("first", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void AFullDiskLeavesThePreviousFileIntactAndNoTemporary()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-atomic").FullName;
        string path = Path.Combine(dir, "ckpt.pth");
        AtomicFile.Write(path, s => s.Write("first"u8));
        // The temporary file this write will use points at /dev/full, where every write fails with ENOSPC.
        File.CreateSymbolicLink(AtomicFile.TemporaryPath(path), "/dev/full");

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, s => s.Write(new byte[1 << 20])));

        Assert.Contains("No space left on device", e.Message);
        Assert.Equal("first", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(dir));
    }

    [Fact]
    public void AnUnwritableTemporaryIsAnErrorThatLeavesThePreviousFileIntact()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-atomic").FullName;
        string path = Path.Combine(dir, "ckpt.pth");
        AtomicFile.Write(path, s => s.Write("first"u8));
        Directory.CreateDirectory(AtomicFile.TemporaryPath(path));

        var e = Record.Exception(() => AtomicFile.Write(path, s => s.Write("second"u8)));

        Assert.True(e is IOException or UnauthorizedAccessException, e?.ToString());
        Assert.Equal("first", File.ReadAllText(path));
    }

    [Fact]
    public void TemporaryNamesNameTheirWriter()
    {
        Assert.Equal("/d/.ckpt_epoch_1.pth.42.tmp", AtomicFile.TemporaryPath("/d/ckpt_epoch_1.pth", 42));
        Assert.Equal(42, AtomicFile.TemporaryOwner(".ckpt_epoch_1.pth.42.tmp"));
        Assert.Null(AtomicFile.TemporaryOwner("ckpt_epoch_1.pth"));
        Assert.Null(AtomicFile.TemporaryOwner(".ckpt_epoch_1.pth.x.tmp"));
    }
}
