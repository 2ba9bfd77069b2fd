using System.Collections;
using System.IO.Compression;
using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Tests.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

/// <summary>
/// Corrupt checkpoints — truncated, bit-flipped, with byte runs swapped or duplicated — must each end in a
/// <see cref="CheckpointException"/> or a load, within a time bound; never another exception, a hang, a native error
/// or an allocation the file cannot justify. Sources are real pickles: the reference-shaped fixtures (zip at protocols
/// 1, 2 and 4, legacy at 1 and 2) and a checkpoint of our own.
/// </summary>
public class CheckpointFuzzTests
{
    /// <summary>Mutated files tried: 4 repacked pickles × 4 kinds × 16, 2 legacy files × 4 × 16, 2 whole zips × 4 × 8.</summary>
    public const int CaseCount = 4 * 4 * 16 + 2 * 4 * 16 + 2 * 4 * 8;

    // Generous: a case takes milliseconds, but the suite runs other test classes in parallel on 2 cores.
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(30);

    private enum Mutation { Truncate, FlipBit, SwapRuns, DuplicateRun }

    [Fact]
    public void FourHundredAndFortyEightCorruptCheckpointsEachLoadOrFailAsACheckpointError()
    {
        using var dir = new InteropTempDir();
        string ours = dir.File("ours.pth");
        SaveOurOwnCheckpoint(ours);
        var failures = new List<string>();
        int cases = 0, seed = 0;

        // The object pickle inside a zip, repacked with a fresh CRC-32 so that the unpickler, not the checksum, meets it.
        foreach (string source in new[] { Fixture("pretrain_vit.pth"), Fixture("finetune_vit_p4.pth"), Fixture("pretrain_vit_p1.pth"), ours })
        {
            byte[] zip = File.ReadAllBytes(source);
            byte[] pickle = DataPkl(zip);
            cases += Fuzz(Path.GetFileName(source) + ":data.pkl", ++seed, pickle, 16, mutated => Repack(zip, mutated), mustEqual: null, dir, failures);
        }
        // Legacy files have no checksum: every mutation reaches the pickles or the raw storages.
        foreach (string source in new[] { Fixture("pretrain_swin_legacy.pth"), Fixture("finetune_vit_legacy_p1.pth") })
            cases += Fuzz(Path.GetFileName(source), ++seed, File.ReadAllBytes(source), 16, bytes => bytes, mustEqual: null, dir, failures);
        // Whole zips: what loads despite a mutation (it hit no record) must be exactly the original.
        foreach (string source in new[] { Fixture("pretrain_swin.pth"), ours })
            cases += Fuzz(Path.GetFileName(source), ++seed, File.ReadAllBytes(source), 8, bytes => bytes, mustEqual: source, dir, failures);

        Assert.Equal(CaseCount, cases);
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} cases failed:\n{string.Join('\n', failures)}");
    }

    // A file whose object pickle names storages by a Storage(key, dtype, numel) marker, written by hand in the zip or
    // the legacy layout with the given records, so that sizes can lie in ways torch.save never writes.
    private const string HandMadeCheckpoint = """
        import collections, io, pickle, sys, zipfile, torch
        from torch._utils import _rebuild_tensor_v2

        class Storage:
            def __init__(self, key, dtype, numel): self.key, self.dtype, self.numel = key, dtype, numel
        class Rebuild:
            def __init__(self, *args): self.args = args
            def __reduce__(self): return (_rebuild_tensor_v2, self.args + (False, collections.OrderedDict()))
        class Pickler(pickle.Pickler):
            def persistent_id(self, obj):
                return ('storage', obj.dtype, obj.key, 'cpu', obj.numel) if isinstance(obj, Storage) else None

        def dumps(obj):
            buffer = io.BytesIO()
            Pickler(buffer, protocol=2).dump(obj)
            return buffer.getvalue()

        path, case = sys.argv[1], sys.argv[2]
        four = Storage('0', torch.FloatStorage, 4)
        records = {'0': torch.arange(4.).numpy().tobytes()}
        legacy = case.startswith('legacy')
        tensors = {
            'size_overflow': Rebuild(four, 0, (2 ** 62, 4), (4, 1)),
            'offset_past_end': Rebuild(four, 10 ** 6, (2,), (1,)),
            'stride_past_end': Rebuild(four, 0, (3, 3), (1000, 1)),
            'negative_stride': Rebuild(four, 3, (2,), (-1,)),
            'view_as_storage': Rebuild(Rebuild(four, 0, (1000,), (0,)), 0, (1000,), (1,)),
            'record_size_lie': Rebuild(Storage('0', torch.FloatStorage, 1000), 0, (1000,), (1,)),
            'legacy_huge_storage': Rebuild(Storage('0', torch.FloatStorage, 2 ** 40), 0, (4,), (1,)),
            'legacy_overflowing_storage': Rebuild(Storage('0', torch.DoubleStorage, 2 ** 62), 0, (4,), (1,)),
        }
        checkpoint = dumps({'model': {'w': tensors[case]}})
        if legacy:
            with open(path, 'wb') as f:
                for header in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True}):
                    pickle.dump(header, f, protocol=2)
                f.write(checkpoint)
                pickle.dump(['0'], f, protocol=2)
                f.write((4).to_bytes(8, 'little') + records['0'])
        else:
            with zipfile.ZipFile(path, 'w') as z:
                z.writestr('archive/data.pkl', checkpoint)
                for key, data in records.items():
                    z.writestr(f'archive/data/{key}', data)
                z.writestr('archive/version', '3\n')
        """;

    [Theory]
    [InlineData("size_overflow", "tensor size/stride overflow")]
    [InlineData("offset_past_end", "tensor starts at element 1000000 of a storage of 4")]
    [InlineData("stride_past_end", "tensor reaches element 2002 of a storage of 4")]
    [InlineData("negative_stride", "tensor with inconsistent size/stride")]
    [InlineData("view_as_storage", "_rebuild_tensor on something that is not a storage")]
    [InlineData("record_size_lie", "storage record data/0 has 4 elements, its tensors claim 1000")]
    [InlineData("legacy_huge_storage", "storage 0 claims 1099511627776 elements, more than the file holds")]
    [InlineData("legacy_overflowing_storage", "storage 0 claims 4611686018427387904 elements, more than the file holds")]
    public void SizesThatLieAreCheckpointErrorsBeforeAnythingIsAllocatedOrViewed(string kind, string reason)
    {
        using var dir = new InteropTempDir();
        string path = dir.File($"{kind}.pth");
        InteropPython.Run(HandMadeCheckpoint, path, kind);
        var e = Assert.Throws<CheckpointException>(() => TorchFile.Load(path));
        Assert.Equal($"{path}: not a readable PyTorch checkpoint ({reason})", e.Message);
    }

    /// <summary>Runs 4 × <paramref name="perKind"/> mutations of <paramref name="original"/>, each from its own fixed
    /// seed (the same files on every run); returns the count.</summary>
    private static int Fuzz(string name, int source, byte[] original, int perKind, Func<byte[], byte[]> package, string? mustEqual,
        InteropTempDir dir, List<string> failures)
    {
        int count = 0;
        foreach (Mutation kind in Enum.GetValues<Mutation>())
        {
            for (int i = 0; i < perKind; i++)
            {
                var random = new Random((source * 4 + (int)kind) * 1000 + i);
                byte[] mutated = Mutate(original, kind, i, perKind, random);
                string path = dir.File($"case{count}.pth");
                File.WriteAllBytes(path, package(mutated));
                string label = $"{name} {kind} #{i}";
                if (RunCase(path, mustEqual) is { } failure)
                    failures.Add($"{label}: {failure}");
                File.Delete(path);
                count++;
            }
            // The storages' root handles are freed by their finalizers; don't let hundreds of them pile up.
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return count;
    }

    private static byte[] Mutate(byte[] bytes, Mutation kind, int index, int perKind, Random random)
    {
        int n = bytes.Length;
        switch (kind)
        {
            case Mutation.Truncate:
                // Spread over the whole file, each offset jittered: headers, the pickle's middle, its last bytes.
                int cut = (int)((long)n * index / perKind) + random.Next(Math.Max(1, n / perKind));
                return bytes[..Math.Min(cut, n - 1)];
            case Mutation.FlipBit:
                {
                    var copy = (byte[])bytes.Clone();
                    copy[random.Next(n)] ^= (byte)(1 << random.Next(8));
                    return copy;
                }
            case Mutation.SwapRuns:
                {
                    int length = random.Next(1, Math.Min(64, n / 2));
                    int a = random.Next(n - 2 * length), b = random.Next(a + length, n - length + 1);
                    var copy = (byte[])bytes.Clone();
                    bytes.AsSpan(a, length).CopyTo(copy.AsSpan(b, length));
                    bytes.AsSpan(b, length).CopyTo(copy.AsSpan(a, length));
                    return copy;
                }
            default:
                {
                    int length = random.Next(1, Math.Min(64, n));
                    int from = random.Next(n - length), at = random.Next(n);
                    return [.. bytes[..at], .. bytes.AsSpan(from, length), .. bytes[at..]];
                }
        }
    }

    /// <summary>Null when the case behaved; else what went wrong.</summary>
    private static string? RunCase(string path, string? mustEqual)
    {
        var task = Task.Run(() =>
        {
            try
            {
                object? loaded = TorchFile.Load(path);
                try
                {
                    // What inspect and the loaders do next with a loaded file.
                    _ = CheckpointSummary.OtherEntries(loaded).ToList();
                    var weights = TorchFile.StateDict(loaded, path);
                    _ = CheckpointSummary.ParameterCount(weights);
                    return mustEqual is null ? null : SameWeights(weights, mustEqual);
                }
                finally
                {
                    TorchFile.DisposeTensors(loaded);
                }
            }
            catch (CheckpointException)
            {
                return null;
            }
            catch (Exception e)
            {
                return $"{e.GetType().FullName}: {e.Message}";
            }
        });
        return task.Wait(PerCase) ? task.Result : $"did not finish within {PerCase.TotalSeconds} s";
    }

    private static string? SameWeights(Dictionary<string, Tensor> weights, string originalPath)
    {
        object? original = TorchFile.Load(originalPath);
        try
        {
            var expected = TorchFile.StateDict(original, originalPath);
            if (!expected.Keys.SequenceEqual(weights.Keys))
                return "loaded with other keys than the original";
            var differing = expected.Keys.FirstOrDefault(k => !expected[k].shape.SequenceEqual(weights[k].shape)
                || !expected[k].eq(weights[k]).all().item<bool>());
            return differing is null ? null : $"loaded {differing} with other values than the original";
        }
        finally
        {
            TorchFile.DisposeTensors(original);
        }
    }

    private static string Fixture(string file) => ReferenceCheckpoints.PathOf(file);

    private static byte[] DataPkl(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal));
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The zip with its data.pkl replaced (and a CRC-32 that matches the replacement).</summary>
    private static byte[] Repack(byte[] zip, byte[] pickle)
    {
        using var input = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        using var output = new MemoryStream();
        using (var archive = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                using var target = archive.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                if (entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
                {
                    target.Write(pickle);
                    continue;
                }
                using var source = entry.Open();
                source.CopyTo(target);
            }
        }
        return output.ToArray();
    }

    private static void SaveOurOwnCheckpoint(string path)
    {
        random.manual_seed(17);
        using var model = new SimMimModel(new SimMim.Models.Vit.VisionTransformer(TestModels.Vit, forSimMim: true));
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-3);
        using (var scope = NewDisposeScope())
        {
            model.call(rand(2, 3, 16, 16), ones(2, 4, 4, dtype: ScalarType.Int64)).Loss.backward();
            optimizer.step();
        }
        TrainingCheckpoint.Save(path, model, optimizer, new TrainingState(1, 10, 9, "SEED: 0\n", MaxAccuracy: 12.5));
    }
}
