using SimMim.Checkpoints;
using SimMim.Models;
using SimMim.Tests.Models;
using static TorchSharp.torch;

namespace SimMim.Tests.Interop;

public class TrainingCheckpointInteropTests
{
    [Fact]
    public void PyTorch113LoadsOurTrainingCheckpointWithWeightsOnly()
    {
        using var dir = new InteropTempDir();
        random.manual_seed(3);
        using var model = new SimMimModel(new SimMim.Models.Vit.VisionTransformer(TestModels.Vit, forSimMim: true));
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-3);
        using (var scope = NewDisposeScope())
        {
            var output = model.call(rand(2, 3, 16, 16), ones(2, 4, 4));
            output.Loss.backward();
            optimizer.step();
        }
        string path = dir.File(TrainingCheckpoint.FileName(4));
        TrainingCheckpoint.Save(path, model, optimizer, new TrainingState(4, 40, 39, "SEED: 0\n"));

        string printed = InteropPython.Run("""
            import sys, torch
            c = torch.load(sys.argv[1], weights_only=True)
            print(sorted(c), c['epoch'], c['global_step'], len(c['model']), float(c['optimizer']['param_groups'][0]['lr']))
            """, path);
        Assert.Contains("4 40", printed);
        Assert.Contains("0.001", printed);
        Assert.Contains("'model'", printed);

        // And our reader restores the optimizer from the same file (param-group floats stored as tensors).
        using var again = new SimMimModel(new SimMim.Models.Vit.VisionTransformer(TestModels.Vit, forSimMim: true));
        using var optimizer2 = optim.AdamW(again.parameters(), lr: 0.5);
        var state = TrainingCheckpoint.Load(path, again, optimizer2);
        Assert.Equal(4, state.Epoch);
        Assert.Equal(40, state.GlobalStep);
        Assert.Equal(1e-3, optimizer2.ParamGroups.First().LearningRate, 12);
    }
}
