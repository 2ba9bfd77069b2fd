using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Tests.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

public class SafetensorsFileTests
{
    [Fact]
    public void ModelStateDictRoundTripsBitForBit()
    {
        using var dir = new InteropTempDir();
        random.manual_seed(2);
        using var model = new SimMimModel(new SimMim.Models.Vit.VisionTransformer(TestModels.Vit, forSimMim: true));
        var state = model.state_dict();
        SafetensorsFile.Save(dir.File("m.safetensors"), state, new Dictionary<string, string> { ["format"] = "pt" });

        var (read, metadata) = SafetensorsFile.LoadWithMetadata(dir.File("m.safetensors"));
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal(state.Keys, read.Keys);
        foreach (var (key, tensor) in state)
        {
            Assert.Equal(tensor.dtype, read[key].dtype);
            Assert.Equal(tensor.shape, read[key].shape);
            Assert.True(tensor.detach().eq(read[key]).all().item<bool>(), key);
        }
    }

    [Fact]
    public void PyTorchReadsWhatWeWriteAndWeReadWhatItWrites()
    {
        using var dir = new InteropTempDir();
        SafetensorsFile.Save(dir.File("ours.safetensors"), new Dictionary<string, Tensor>
        {
            ["f32"] = arange(6, dtype: ScalarType.Float32).view(2, 3).t(),
            ["f16"] = tensor(new float[] { 1.5f, -2 }).to(ScalarType.Float16),
            ["bf16"] = tensor(new float[] { 0.25f }).to(ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { -5, 1L << 40 }),
        });
        // The safetensors package is not installed: parse and write the format by hand with torch.
        InteropPython.Run("""
            import sys, json, struct, torch
            DT = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64}
            def read(path):
                raw = open(path, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; header = json.loads(raw[8:8 + n])
                out = {}
                for k, v in header.items():
                    if k == '__metadata__': continue
                    b, e = v['data_offsets']
                    out[k] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=DT[v['dtype']]).view(v['shape'])
                return out
            t = read(sys.argv[1])
            assert torch.equal(t['f32'], torch.arange(6.).view(2, 3).t()), t['f32']
            assert t['f16'].tolist() == [1.5, -2.0] and t['bf16'].tolist() == [0.25] and t['i64'].tolist() == [-5, 1 << 40]
            tensors = {'b.weight': torch.arange(4.).view(2, 2), 'a.index': torch.tensor([7, -1]), 'c.half': torch.ones(3).half()}
            header, blobs, off = {'__metadata__': {'format': 'pt'}}, [], 0
            for k in sorted(tensors):
                data = tensors[k].contiguous().numpy().tobytes() if tensors[k].dtype != torch.bfloat16 else None
                header[k] = {'dtype': {torch.float32: 'F32', torch.int64: 'I64', torch.float16: 'F16'}[tensors[k].dtype],
                             'shape': list(tensors[k].shape), 'data_offsets': [off, off + len(data)]}
                blobs.append(data); off += len(data)
            h = json.dumps(header).encode(); h += b' ' * (-len(h) % 8)
            open(sys.argv[2], 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
            """, dir.File("ours.safetensors"), dir.File("theirs.safetensors"));

        var theirs = SafetensorsFile.Load(dir.File("theirs.safetensors"));
        Assert.Equal(new[] { "a.index", "b.weight", "c.half" }, theirs.Keys);
        Assert.Equal(new long[] { 7, -1 }, TestModels.Longs(theirs["a.index"]));
        Assert.Equal(new float[] { 0, 1, 2, 3 }, TestModels.Values(theirs["b.weight"]));
        Assert.Equal(ScalarType.Float16, theirs["c.half"].dtype);
    }

    [Fact]
    public void AMalformedFileIsACheckpointErrorNamingIt()
    {
        using var dir = new InteropTempDir();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(20L), .. "{\"x\": {\"dtype\": \"F3"u8.ToArray()]);
        var e = Assert.Throws<CheckpointException>(() => SafetensorsFile.Load(path));
        Assert.StartsWith(path + ": not a readable safetensors file", e.Message);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(1L << 40)]);
        Assert.Throws<CheckpointException>(() => SafetensorsFile.Load(path));
    }
}
