using SimMim.Checkpoints;
using TorchSharp;
using TorchSharp.PyBridge;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SimMim.Tests.Parity;

/// <summary>
/// The reverse direction of <see cref="PyTorchParityTests"/>: weights we write load into the PyTorch reference with
/// <c>load_state_dict(strict=True)</c> and give our loss there (tools/parity/check_load.py, run through python3).
/// </summary>
public class PythonLoadTests(ITestOutputHelper output)
{
    [Fact]
    public void TheReferenceLoadsOurWeightsStrictlyAndReproducesOurLoss()
    {
        string python = ParityFixtures.Python;
        if (!File.Exists(python))
        {
            Assert.Fail($"{python} not found: the parity check needs Python 3 with PyTorch (Debian's python3-torch, " +
                $"installed by scripts/setup.sh); set {ParityFixtures.PythonEnvVar} to use another interpreter");
        }
        string dir = Directory.CreateTempSubdirectory("simmim-parity").FullName;
        var args = new List<string> { Path.Combine(ParityFixtures.RepoRoot, "tools", "parity", "check_load.py"), ParityFixtures.ManifestPath };
        try
        {
            for (int i = 0; i < PyTorchParityTests.Names.Length; i++)
            {
                string name = PyTorchParityTests.Names[i];
                // Alternate the two ways we write weights: a plain state dict and a training checkpoint's 'model'.
                args.AddRange([name, .. SaveOurs(name, seed: 100 + i, asTrainingCheckpoint: i % 2 == 1, dir)]);
            }
            var (exitCode, stdout) = ParityFixtures.RunProcess(python, args);
            output.WriteLine(stdout);
            Assert.True(exitCode == 0, $"check_load.py exited with {exitCode}:\n{stdout}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Writes our weights (seeded init, then perturbed so no table or gamma is trivial) and our outputs.</summary>
    private static string[] SaveOurs(string name, int seed, bool asTrainingCheckpoint, string dir)
    {
        random.manual_seed(seed);
        using var model = ParityFixtures.Build(ParityFixtures.Case(name));
        using (no_grad())
        using (NewDisposeScope())
        {
            foreach (var p in model.parameters())
            {
                p.add_(randn_like(p) * 0.1);
            }
        }
        model.eval();
        using var scope = NewDisposeScope();
        var io = ParityFixtures.ReadTensors(ParityFixtures.PathOf(name, "io"));
        SimMim.Models.SimMimOutput result;
        using (no_grad())
        {
            result = model.call(io["image"], io["mask"]);
        }

        string weightsPath = Path.Combine(dir, $"{name}.ours.pth");
        if (asTrainingCheckpoint)
        {
            using var optimizer = optim.AdamW(model.parameters());
            TrainingCheckpoint.Save(weightsPath, model, optimizer, new TrainingState(0, 1, 0, ""));
        }
        else
        {
            model.save_py(weightsPath);
        }
        string ioPath = Path.Combine(dir, $"{name}.ours.io.pth");
        using (var stream = File.Create(ioPath))
        {
            var ours = new Dictionary<string, object>
            {
                ["image"] = io["image"],
                ["mask"] = io["mask"],
                ["loss"] = result.Loss,
                ["reconstruction"] = result.Reconstruction.contiguous(),   // PyBridge writes contiguous storages only
            };
            PyTorchPickler.PickleStateDict(stream, ours);
        }
        return [weightsPath, ioPath];
    }
}
