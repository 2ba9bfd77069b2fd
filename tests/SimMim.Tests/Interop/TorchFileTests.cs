using System.Collections;
using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Tests.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

public class TorchFileTests
{
    [Fact]
    public void ModelStateDictRoundTripsBitForBitInPyTorchOrder()
    {
        using var dir = new InteropTempDir();
        random.manual_seed(1);
        using var model = new SimMimModel(new SimMim.Models.Swin.SwinTransformer(TestModels.Swin, forSimMim: true));
        var state = model.state_dict();
        TorchFile.Save(dir.File("m.pth"), state);

        var loaded = TorchFile.Load(dir.File("m.pth"));
        var read = TorchFile.StateDict(loaded, "m.pth");
        Assert.Equal(state.Keys, read.Keys);
        foreach (var (key, tensor) in state)
        {
            Assert.Equal(tensor.dtype, read[key].dtype);
            Assert.Equal(tensor.shape, read[key].shape);
            Assert.True(tensor.detach().eq(read[key]).all().item<bool>(), key);
        }
        Assert.True(loaded is PickleDict { IsOrderedDict: true });
        TorchFile.DisposeTensors(loaded);
    }

    [Fact]
    public void PyTorch113LoadsWhatWeWriteWithWeightsOnly()
    {
        using var dir = new InteropTempDir();
        var checkpoint = new Dictionary<string, object?>
        {
            ["model"] = new Dictionary<string, Tensor>
            {
                ["w"] = arange(6, dtype: ScalarType.Float32).view(2, 3),
                ["t"] = arange(6, dtype: ScalarType.Float32).view(2, 3).t(),   // a non-contiguous view
                ["h"] = tensor(new float[] { 1.5f, -2 }).to(ScalarType.Float16),
                ["b"] = tensor(new float[] { 0.25f }).to(ScalarType.BFloat16),
                ["i"] = tensor(new long[] { -5, 1L << 40 }),
                ["m"] = tensor(new[] { true, false }),
                ["u"] = tensor(new byte[] { 7, 255 }),
                ["s"] = tensor(3.5),
            },
            ["epoch"] = 3,
            ["big"] = 1L << 40,
            ["neg"] = -7,
            ["max_accuracy"] = 0.5,
            ["config"] = "MODEL:\n  TYPE: vit\n",
            ["flags"] = new object?[] { true, false, null },
            ["list"] = new List<object?> { 1, "two", new object?[] { 3, 4 } },
        };
        TorchFile.Save(dir.File("c.pth"), checkpoint);

        string output = InteropPython.Run("""
            import sys, torch
            c = torch.load(sys.argv[1], weights_only=True)
            m = c['model']
            assert type(m).__name__ == 'OrderedDict', type(m)
            assert list(m) == ['w', 't', 'h', 'b', 'i', 'm', 'u', 's'], list(m)
            assert torch.equal(m['w'], torch.arange(6.).view(2, 3))
            assert torch.equal(m['t'], torch.arange(6.).view(2, 3).t())
            assert m['h'].dtype == torch.float16 and m['h'].tolist() == [1.5, -2.0]
            assert m['b'].dtype == torch.bfloat16 and m['b'].tolist() == [0.25]
            assert m['i'].tolist() == [-5, 1 << 40] and m['i'].dtype == torch.int64
            assert m['m'].tolist() == [True, False] and m['u'].tolist() == [7, 255]
            assert m['s'].dim() == 0 and m['s'].item() == 3.5
            assert c['epoch'] == 3 and c['big'] == 1 << 40 and c['neg'] == -7
            assert float(c['max_accuracy']) == 0.5
            assert c['config'].startswith('MODEL:')
            assert c['flags'] == (True, False, None) and c['list'] == [1, 'two', (3, 4)]
            print('ok', torch.__version__)
            """, dir.File("c.pth"));
        Assert.StartsWith("ok", output);
    }

    [Fact]
    public void ReadsWhatPyTorchWritesIncludingSharedStoragesAndViews()
    {
        using var dir = new InteropTempDir();
        InteropPython.Run("""
            import sys, torch, collections
            base = torch.arange(12.).view(3, 4)
            sd = collections.OrderedDict(a=base, row=base[1], col=base[:, 2], h=torch.tensor([1.5, -2.0]).half(),
                                         bf=torch.tensor([0.25]).bfloat16(), idx=torch.tensor([[0, 1], [2, 3]]),
                                         flag=torch.tensor([True, False]))
            sd._metadata = {'': {'version': 1}}
            torch.save({'model': sd, 'epoch': 7, 'lr': 1e-3, 'betas': (0.9, 0.999), 'name': 'x', 'big': 2**70, 'long': -2**40,
                        'param': torch.nn.Parameter(torch.ones(2))}, sys.argv[1])
            """, dir.File("py.pth"));

        var loaded = (PickleDict)TorchFile.Load(dir.File("py.pth"))!;
        var model = (PickleDict)loaded["model"]!;
        Assert.True(model.IsOrderedDict);
        Assert.NotNull(model.Attributes);
        Assert.Equal(new[] { "a", "row", "col", "h", "bf", "idx", "flag" }, model.Keys.Cast<string>());
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), TestModels.Values((Tensor)model["a"]!));
        Assert.Equal(new float[] { 4, 5, 6, 7 }, TestModels.Values((Tensor)model["row"]!));
        Assert.Equal(new float[] { 2, 6, 10 }, TestModels.Values((Tensor)model["col"]!));
        Assert.Equal(new float[] { 1.5f, -2 }, TestModels.Values((Tensor)model["h"]!));
        Assert.Equal(ScalarType.BFloat16, ((Tensor)model["bf"]!).dtype);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, TestModels.Longs((Tensor)model["idx"]!));
        Assert.Equal(ScalarType.Bool, ((Tensor)model["flag"]!).dtype);
        Assert.Equal(7L, loaded["epoch"]);
        Assert.Equal(1e-3, loaded["lr"]);
        Assert.Equal(new object?[] { 0.9, 0.999 }, (object?[])loaded["betas"]!);
        Assert.Equal(System.Numerics.BigInteger.Pow(2, 70), loaded["big"]);
        Assert.Equal(-(1L << 40), loaded["long"]);   // LONG1 within 64 bits is a long, not a BigInteger
        Assert.Equal(new float[] { 1, 1 }, TestModels.Values((Tensor)loaded["param"]!));
        TorchFile.DisposeTensors(loaded);
    }

    [Fact]
    public void AnUnknownClassBecomesAPlaceholderAndTheModelStillLoads()
    {
        using var dir = new InteropTempDir();
        // A stand-in for the reference's pickled yacs config: a dict subclass from a module we don't have.
        InteropPython.Run("""
            import sys, types, torch, argparse
            mod = types.ModuleType('yacs.config'); sys.modules['yacs'] = types.ModuleType('yacs'); sys.modules['yacs.config'] = mod
            class CfgNode(dict):
                pass
            CfgNode.__module__ = 'yacs.config'; mod.CfgNode = CfgNode
            cfg = CfgNode(); cfg['MODEL'] = CfgNode(TYPE='vit'); cfg['SEED'] = 0
            torch.save({'model': {'w': torch.ones(2, 2)}, 'config': cfg, 'args': argparse.Namespace(lr=0.1), 'epoch': 99},
                       sys.argv[1])
            """, dir.File("ref.pth"));

        var loaded = (PickleDict)TorchFile.Load(dir.File("ref.pth"))!;
        var config = Assert.IsType<PickledObject>(loaded["config"]);
        Assert.Equal("yacs.config.CfgNode", config.ClassName);
        Assert.Equal(0L, config.Entries["SEED"]);
        Assert.Equal("vit", Assert.IsType<PickledObject>(config.Entries["MODEL"]).Entries["TYPE"]);
        Assert.Equal("argparse.Namespace", Assert.IsType<PickledObject>(loaded["args"]).ClassName);
        Assert.Equal(99L, loaded["epoch"]);
        var weights = TorchFile.StateDict(loaded, "ref.pth");
        Assert.Equal(new float[] { 1, 1, 1, 1 }, TestModels.Values(weights["w"]));
        TorchFile.DisposeTensors(loaded);
    }

    [Fact]
    public void AHostilePickleIsStubbedAndRunsNothing()
    {
        using var dir = new InteropTempDir();
        string marker = dir.File("pwned");
        InteropPython.Run("""
            import sys, os, builtins, subprocess, torch
            marker = sys.argv[2]
            class System:
                def __reduce__(self): return (os.system, ('touch ' + marker,))
            class Eval:
                def __reduce__(self): return (builtins.eval, ("open(%r, 'w').close()" % marker,))
            class Popen:
                def __reduce__(self): return (subprocess.Popen, (['touch', marker],))
            torch.save({'model': {'w': torch.zeros(1)}, 'a': System(), 'b': Eval(), 'c': Popen()}, sys.argv[1])
            assert not os.path.exists(marker)
            """, dir.File("evil.pth"), marker);

        var loaded = (PickleDict)TorchFile.Load(dir.File("evil.pth"))!;
        Assert.Equal("posix.system", Assert.IsType<PickledObject>(loaded["a"]).ClassName);
        Assert.Equal("__builtin__.eval", Assert.IsType<PickledObject>(loaded["b"]).ClassName);
        Assert.EndsWith(".Popen", Assert.IsType<PickledObject>(loaded["c"]).ClassName);   // protocol 2 maps the module name
        Assert.False(File.Exists(marker));
        // The same file does run code in an unrestricted unpickler: the test would catch a reader that executes it.
        InteropPython.Run("""
            import sys, os, torch
            torch.load(sys.argv[1])
            assert os.path.exists(sys.argv[2])
            """, dir.File("evil.pth"), marker);
        TorchFile.DisposeTensors(loaded);
    }

    [Fact]
    public void ASelfReferencingPickleLoadsAndIsDisposedWithoutRecursingForever()
    {
        using var dir = new InteropTempDir();
        InteropPython.Run("""
            import sys, torch
            loop = [torch.ones(1)]; loop.append(loop)
            torch.save({'model': {'w': torch.ones(1)}, 'loop': loop}, sys.argv[1])
            """, dir.File("loop.pth"));
        var loaded = (PickleDict)TorchFile.Load(dir.File("loop.pth"))!;
        var loop = Assert.IsType<List<object?>>(loaded["loop"]);
        Assert.Same(loop, loop[1]);
        TorchFile.DisposeTensors(loaded);
    }

    [Fact]
    public void ATensorSubclassComesBackAsAPlainTensor()
    {
        using var dir = new InteropTempDir();
        InteropPython.Run("""
            import sys, torch
            class Tagged(torch.Tensor):
                pass
            torch.save({'model': {'w': torch.arange(3.).as_subclass(Tagged)}}, sys.argv[1])
            """, dir.File("sub.pth"));
        var loaded = TorchFile.Load(dir.File("sub.pth"));
        Assert.Equal(new float[] { 0, 1, 2 }, TestModels.Values(TorchFile.StateDict(loaded, "sub.pth")["w"]));
        TorchFile.DisposeTensors(loaded);
    }

    [Fact]
    public void ReadsTheLegacyNonZipFormat()
    {
        using var dir = new InteropTempDir();
        InteropPython.Run("""
            import sys, torch
            base = torch.arange(10, dtype=torch.float64)
            torch.save({'model': {'all': base, 'tail': base[6:], 'idx': torch.tensor([3, -4])}, 'epoch': 2}, sys.argv[1],
                       _use_new_zipfile_serialization=False)
            """, dir.File("legacy.pth"));

        var loaded = (PickleDict)TorchFile.Load(dir.File("legacy.pth"))!;
        var weights = TorchFile.StateDict(loaded, "legacy.pth");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), TestModels.Values(weights["all"]));
        Assert.Equal(new float[] { 6, 7, 8, 9 }, TestModels.Values(weights["tail"]));
        Assert.Equal(new long[] { 3, -4 }, TestModels.Longs(weights["idx"]));
        Assert.Equal(2L, loaded["epoch"]);
        TorchFile.DisposeTensors(loaded);
    }

    [Theory]
    [InlineData("not a checkpoint at all")]
    [InlineData("PK\u0003\u0004 truncated zip")]
    public void ACorruptFileIsACheckpointErrorNamingIt(string content)
    {
        using var dir = new InteropTempDir();
        string path = dir.File("bad.pth");
        File.WriteAllText(path, content);
        var e = Assert.Throws<CheckpointException>(() => TorchFile.Load(path));
        Assert.StartsWith(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AMissingFileIsACheckpointError()
    {
        var e = Assert.Throws<CheckpointException>(() => TorchFile.Load("/nonexistent/x.pth"));
        Assert.Equal("/nonexistent/x.pth: file not found", e.Message);
    }

    [Fact]
    public void ATruncatedPickleInsideAValidZipIsACheckpointError()
    {
        using var dir = new InteropTempDir();
        using (var stream = File.Create(dir.File("t.pth")))
        using (var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Create))
        using (var pkl = zip.CreateEntry("archive/data.pkl").Open())
        {
            pkl.Write([0x80, 2, 0x7d, 0x28, 0x58, 0xff, 0xff, 0xff, 0x7f]);   // BINUNICODE claiming 2 GB
        }
        Assert.Throws<CheckpointException>(() => TorchFile.Load(dir.File("t.pth")));
    }

    [Fact]
    public void FloatsComeBackAsZeroDimensionalDoubleTensors()
    {
        using var stream = new MemoryStream();
        TorchFile.Save(stream, new Hashtable { ["lr"] = 0.125 });
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, stream.ToArray());
            var loaded = (IDictionary)TorchFile.Load(path)!;
            var lr = Assert.IsAssignableFrom<Tensor>(loaded["lr"]);
            Assert.Equal(ScalarType.Float64, lr.dtype);
            Assert.Equal(0.125, lr.item<double>());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
