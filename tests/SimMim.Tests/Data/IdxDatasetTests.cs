using System.Buffers.Binary;
using System.IO.Compression;
using SimMim.Data;

namespace SimMim.Tests.Data;

public class IdxDatasetTests
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    // Three 2-row × 3-column images whose pixel p of image i is 10·i + p, labels 7, 0, 2.
    private static byte[] ImagesFile()
    {
        var bytes = new byte[16 + 3 * 6];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 3);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 2);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), 3);
        for (int i = 0; i < 3; i++)
        {
            for (int p = 0; p < 6; p++)
            {
                bytes[16 + i * 6 + p] = (byte)(10 * i + p);
            }
        }
        return bytes;
    }

    private static byte[] LabelsFile()
    {
        var bytes = new byte[8 + 3];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 3);
        bytes[8] = 7;
        bytes[9] = 0;
        bytes[10] = 2;
        return bytes;
    }

    private static void WriteGz(string path, byte[] content)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(content);
    }

    private static void AssertTinyDataset(IdxDataset ds)
    {
        Assert.Equal(3, ds.Count);
        Assert.Equal(3, ds.Width);
        Assert.Equal(2, ds.Height);
        Assert.Equal([7, 0, 2], Enumerable.Range(0, 3).Select(ds.Label));
        Assert.Equal(8, ds.NumClasses);
        RgbImage image = ds.Load(2);
        Assert.Equal(3, image.Width);
        Assert.Equal(2, image.Height);
        // Pixel (x=1, y=1) is p = 4 of image 2: value 24 in all three channels.
        int o = (1 * 3 + 1) * 3;
        Assert.Equal(new byte[] { 24, 24, 24 }, image.Pixels[o..(o + 3)]);
    }

    [Fact]
    public void ReadsRawFilesWithLabels()
    {
        using var dir = new DataTempDir();
        File.WriteAllBytes(dir.Combine("train-images-idx3-ubyte"), ImagesFile());
        File.WriteAllBytes(dir.Combine("train-labels-idx1-ubyte"), LabelsFile());
        AssertTinyDataset(IdxDataset.Open(dir.Path));
        AssertTinyDataset(IdxDataset.Open(dir.Combine("train-images-idx3-ubyte")));
    }

    [Fact]
    public void ReadsGzippedFilesAndPicksTheTestSplit()
    {
        using var dir = new DataTempDir();
        WriteGz(dir.Combine("t10k-images-idx3-ubyte.gz"), ImagesFile());
        WriteGz(dir.Combine("t10k-labels-idx1-ubyte.gz"), LabelsFile());
        AssertTinyDataset(IdxDataset.Open(dir.Path, "test"));
        var ds = IdxDataset.Open(dir.Combine("t10k-images-idx3-ubyte.gz"));
        AssertTinyDataset(ds);
        Assert.StartsWith("idx:", ds.Describe(1));
        Assert.EndsWith("t10k-images-idx3-ubyte.gz#1", ds.Describe(1));
    }

    [Fact]
    public void UnlabelledFileIsOneClass()
    {
        using var dir = new DataTempDir();
        string path = dir.Combine("images.idx3-ubyte");
        File.WriteAllBytes(path, ImagesFile());
        var ds = new IdxDataset(path);
        Assert.Equal(1, ds.NumClasses);
        Assert.Equal(0, ds.Label(2));
    }

    [Fact]
    public void BadFilesThrowDataExceptionNamingTheFile()
    {
        using var dir = new DataTempDir();
        string path = dir.Combine("x-images-idx3-ubyte");
        byte[] wrongMagic = ImagesFile();
        wrongMagic[3] = 0x01;
        File.WriteAllBytes(path, wrongMagic);
        Assert.Contains(path, Assert.Throws<DataException>(() => new IdxDataset(path)).Message);

        File.WriteAllBytes(path, ImagesFile()[..20]);
        Assert.Contains(path, Assert.Throws<DataException>(() => new IdxDataset(path)).Message);

        var ex = Assert.Throws<DataException>(() => IdxDataset.Open(dir.Path, "test"));
        Assert.Contains("t10k-images-idx3-ubyte", ex.Message);
    }

    [Fact]
    public void ReadsInstalledFashionMnist()
    {
        if (!Directory.Exists(FashionMnist))
        {
            return; // apt package dataset-fashion-mnist not installed
        }
        var train = (IdxDataset)DatasetFactory.Open(FashionMnist);
        Assert.Equal(60000, train.Count);
        Assert.Equal(10, train.NumClasses);
        Assert.Equal(9, train.Label(0)); // ankle boot, the first training label of Fashion-MNIST
        RgbImage image = train.Load(0);
        Assert.Equal(28, image.Width);
        Assert.Equal(28, image.Height);

        var test = DatasetFactory.Open(FashionMnist, "test");
        Assert.Equal(10000, test.Count);
    }
}
