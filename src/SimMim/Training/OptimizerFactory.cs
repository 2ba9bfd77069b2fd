using SimMim.Config;
using TorchSharp;
using TorchSharp.Modules;

namespace SimMim.Training;

/// <summary>The optimizer and the lr schedule of a run, as the config describes them.</summary>
internal static class OptimizerFactory
{
    /// <summary>AdamW (or SGD with nesterov momentum, the reference's unused branch) over the groups, each at its own lr and decay.</summary>
    public static OptimizerHelper CreateOptimizer(IReadOnlyList<ParamGroup> groups, TrainConfig train, double baseLr)
    {
        var o = train.Optimizer;
        if (o.Name == "sgd")
        {
            return torch.optim.SGD(
                groups.Select(g => new SGD.ParamGroup(g.Parameters, new SGD.Options
                {
                    LearningRate = g.BaseLr,
                    weight_decay = g.WeightDecay,
                    momentum = o.Momentum,
                    nesterov = true,
                })),
                baseLr, o.Momentum, 0, train.WeightDecay, nesterov: true);
        }
        return torch.optim.AdamW(
            groups.Select(g => new AdamW.ParamGroup(g.Parameters, new AdamW.Options { LearningRate = g.BaseLr, weight_decay = g.WeightDecay })),
            lr: baseLr, beta1: o.Betas[0], beta2: o.Betas[1], eps: o.Eps, weight_decay: train.WeightDecay);
    }

    public static LrSchedule CreateSchedule(TrainConfig train, ResolvedRun run, int stepsPerEpoch) =>
        new(train.LrScheduler.Name, train.Epochs, train.WarmupEpochs, stepsPerEpoch, run.WarmupLr, run.MinLr,
            train.LrScheduler.Multisteps, train.LrScheduler.Gamma, train.LrScheduler.DecayEpochs, train.LrScheduler.DecayRate);
}
