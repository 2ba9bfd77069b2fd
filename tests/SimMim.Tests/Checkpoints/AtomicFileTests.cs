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
}
