using System.Diagnostics;
using SimMim.Models;
using SimMim.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Benchmarking;

/// <summary>
/// Times a SimMIM model on a fixed synthetic batch: training steps (forward with the masked L1 loss, backward,
/// clipping, AdamW) phase by phase, and inference forwards without gradients. One dispose scope per step, as in
/// training; the only host read per step is the loss.
/// </summary>
public static class ModelThroughput
{
    /// <param name="model">Model in any mode; left in training mode.</param>
    /// <param name="optimizer">Optimizer over <paramref name="parameters"/> (the run's AdamW groups).</param>
    /// <param name="parameters">What gradient clipping sees.</param>
    /// <param name="clipGrad">TRAIN.CLIP_GRAD; 0 or less still computes the norm, as the trainer does.</param>
    /// <param name="images">(B, 3, S, S) float32.</param>
    /// <param name="masks">(B, S/p, S/p) int64.</param>
    /// <param name="precision">Autocast scope of the forward.</param>
    /// <param name="warmup">Untimed steps first.</param>
    /// <param name="steps">Timed steps.</param>
    public static StepTimings Train(SimMimModel model, OptimizerHelper optimizer, IList<Parameter> parameters, double clipGrad,
        Tensor images, Tensor masks, Precision precision, int warmup, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        model.train();
        var losses = new List<double>();
        double forward = 0, backward = 0, update = 0;
        var clock = new Stopwatch();
        for (int i = 0; i < warmup + steps; i++)
        {
            using var scope = NewDisposeScope();
            clock.Restart();
            Tensor loss;
            using (Autocast.Enable(precision))
                loss = model.call(images, masks).Loss;
            losses.Add(loss.item<float>());
            double t1 = clock.Elapsed.TotalMilliseconds;
            loss.backward();
            double t2 = clock.Elapsed.TotalMilliseconds;
            nn.utils.clip_grad_norm_(parameters, clipGrad > 0 ? clipGrad : double.MaxValue);
            optimizer.step();
            optimizer.zero_grad();
            double t3 = clock.Elapsed.TotalMilliseconds;
            if (i >= warmup)
            {
                forward += t1;
                backward += t2 - t1;
                update += t3 - t2;
            }
        }
        return new StepTimings(forward / steps, backward / steps, update / steps, losses);
    }

    /// <summary>Mean milliseconds of an eval-mode, no-grad forward (loss included) after <paramref name="warmup"/> untimed ones.</summary>
    public static double Infer(SimMimModel model, Tensor images, Tensor masks, Precision precision, int warmup, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        model.eval();
        using var noGrad = no_grad();
        var clock = new Stopwatch();
        for (int i = 0; i < warmup + steps; i++)
        {
            if (i == warmup)
                clock.Start();
            using var scope = NewDisposeScope();
            using (Autocast.Enable(precision))
                model.call(images, masks).Loss.item<float>();
        }
        model.train();
        return clock.Elapsed.TotalMilliseconds / steps;
    }
}
