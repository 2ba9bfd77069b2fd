using SimMim.Benchmarking;
using SimMim.Data;

namespace SimMim.Tests.Benchmarking;

public class SampleImageFolderTests
{
    [Fact]
    public void WritesDecodableJpegAndPngFilesAndDeletesThem()
    {
        string root;
        using (var folder = SampleImageFolder.Create(5, 24, seed: 1))
        {
            root = folder.Root;
            var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(Path.GetExtension).ToList();
            Assert.Equal(3, files.Count(e => e == ".jpg"));
            Assert.Equal(2, files.Count(e => e == ".png"));
            var dataset = new ImageFolderDataset(root);
            Assert.Equal(5, dataset.Count);
            var image = dataset.Load(4);
            Assert.Equal((24, 24), (image.Width, image.Height));
        }
        Assert.False(Directory.Exists(root));
    }
}
