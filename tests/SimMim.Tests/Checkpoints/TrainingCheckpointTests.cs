using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Models.Swin;
using SimMim.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace SimMim.Tests.Checkpoints;

public class TrainingCheckpointTests
{
    private static (Tensor Image, Tensor Mask) Batch()
    {
        var generator = new Generator(7);
        var image = randn([2, 3, 32, 32], generator: generator);
        var mask = (rand([2, 8, 8], generator: generator) > 0.5).to_type(ScalarType.Int64);
        return (image, mask);
    }

    private static SimMimModel TinySwin() => new(new SwinTransformer(TestModels.Swin, forSimMim: true));

    /// <summary>Saves <paramref name="model"/> with a fresh AdamW to <paramref name="name"/> in a new folder.</summary>
    private static string Saved(SimMimModel model, string name)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("simmim-ckpt").FullName, name);
        using var optimizer = optim.AdamW(model.parameters());
        TrainingCheckpoint.Save(path, model, optimizer, new TrainingState(0, 1, 0, ""));
        return path;
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalOutputsAndOptimizerState()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-ckpt").FullName;
        string path = Path.Combine(dir, TrainingCheckpoint.FileName(3));
        var (image, mask) = Batch();

        random.manual_seed(1);
        using var model = TinySwin();
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-3);
        model.call(image, mask).Loss.backward();
        optimizer.step();
        var saved = new TrainingState(3, 40, 39, "SEED: 0\n", MaxAccuracy: 12.5, StepInEpoch: 6, EpochLossSum: 4.25, EpochLossCount: 5);
        TrainingCheckpoint.Save(path, model, optimizer, saved);

        random.manual_seed(2);
        using var restored = TinySwin();
        using var restoredOptimizer = optim.AdamW(restored.parameters(), lr: 1e-3);
        var state = TrainingCheckpoint.Load(path, restored, restoredOptimizer);

        Assert.Equal(saved, state);
        model.eval();
        restored.eval();
        Assert.True(model.call(image, mask).Reconstruction.eq(restored.call(image, mask).Reconstruction).all().item<bool>());

        // One more identical step on both: equal only if the Adam moments were restored too.
        foreach (var (m, o) in new[] { (model, optimizer), (restored, restoredOptimizer) })
        {
            o.zero_grad();
            m.call(image, mask).Loss.backward();
            o.step();
        }
        Assert.True(model.call(image, mask).Reconstruction.eq(restored.call(image, mask).Reconstruction).all().item<bool>());
    }

    [Fact]
    public void ACheckpointOfAnotherArchitectureIsRefusedNamingTheFileAndKeys()
    {
        using var model = TinySwin();
        string path = Saved(model, "other.pth");

        using var wider = new SimMimModel(new SwinTransformer(TestModels.Swin with { EmbedDim = 24 }, forSimMim: true));
        var e = Assert.Throws<CheckpointException>(() => TrainingCheckpoint.LoadWeights(path, wider));
        Assert.Contains(path, e.Message);
        Assert.Contains("shape mismatch", e.Message);
        Assert.Contains("encoder.mask_token", e.Message);
    }

    [Fact]
    public void MissingAndCorruptFilesAreUserErrors()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-ckpt").FullName;
        using var model = TinySwin();
        Assert.Contains("not found", Assert.Throws<CheckpointException>(
            () => TrainingCheckpoint.LoadWeights(Path.Combine(dir, "absent.pth"), model)).Message);

        string corrupt = Path.Combine(dir, "corrupt.pth");
        File.WriteAllBytes(corrupt, [1, 2, 3, 4, 5]);
        Assert.Contains(corrupt, Assert.Throws<CheckpointException>(() => TrainingCheckpoint.LoadWeights(corrupt, model)).Message);
    }

    [Fact]
    public void AFlippedBitInTheWeightsFailsTheChecksumOnLoad()
    {
        using var model = TinySwin();
        string path = Saved(model, "ckpt_epoch_0.pth");

        // Find the stored bytes of the largest weight in the file and flip one bit in the middle of them.
        var (_, weight) = model.state_dict().MaxBy(kv => kv.Value.numel());
        byte[] raw = weight.detach().contiguous().bytes.ToArray();
        byte[] file = File.ReadAllBytes(path);
        int at = file.AsSpan().IndexOf(raw.AsSpan(0, 64));
        Assert.True(at > 0, "weight bytes not found in the file");
        file[at + raw.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, file);

        using var fresh = TinySwin();
        var e = Assert.Throws<CheckpointException>(() => TrainingCheckpoint.Load(path, fresh, null));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ATruncatedCheckpointIsRefusedNamingTheFile()
    {
        using var model = TinySwin();
        string path = Saved(model, "ckpt_epoch_0.pth");
        byte[] file = File.ReadAllBytes(path);
        foreach (int length in new[] { file.Length - 1, file.Length / 2, 10, 0 })
        {
            File.WriteAllBytes(path, file[..length]);
            Assert.Contains(path, Assert.Throws<CheckpointException>(() => TrainingCheckpoint.Read(path)).Message);
        }
    }

    [Fact]
    public void AWeightFileIsNotATrainingCheckpoint()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-ckpt").FullName;
        string path = Path.Combine(dir, "weights.pth");
        TorchFile.Save(path, new Dictionary<string, Tensor> { ["w"] = zeros(2) });
        Assert.Contains("not a training checkpoint", Assert.Throws<CheckpointException>(() => TrainingCheckpoint.Read(path)).Message);
    }

    [Fact]
    public void FindLatestPicksTheHighestEpoch()
    {
        string dir = Directory.CreateTempSubdirectory("simmim-ckpt").FullName;
        foreach (int epoch in new[] { 2, 10, 9 })
            File.WriteAllText(Path.Combine(dir, TrainingCheckpoint.FileName(epoch)), "");
        File.WriteAllText(Path.Combine(dir, "ckpt_epoch_x.pth"), "");
        Assert.Equal(Path.Combine(dir, "ckpt_epoch_10.pth"), TrainingCheckpoint.FindLatest(dir));
        Assert.Null(TrainingCheckpoint.FindLatest(Path.Combine(dir, "none")));
    }
}
