using SimMim.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>
/// One loader iteration of the reference's training loop, for any accumulation setting (1 = none): backward of
/// loss / accumulation; every <c>accumulation</c>-th micro-batch (or at the end of the epoch) clip the gradient norm,
/// set the scheduled lr, step the optimizer and clear the gradients. A window with a NaN or infinite loss or gradient
/// norm is dropped instead of stepped (<see cref="StepOutcome.SkippedNonFinite"/>), so the weights stay finite.
/// </summary>
public sealed class TrainStep
{
    private readonly OptimizerHelper _optimizer;
    private readonly IReadOnlyList<ParamGroup> _groups;
    private readonly LrSchedule _schedule;
    private readonly IList<Parameter> _parameters;
    private readonly int _stepsPerEpoch;
    private readonly int _accumulation;
    private readonly double _clipGrad;
    private readonly GradientAllReducer? _reducer;
    private bool _windowHasNonFiniteLoss;
    private double _gradNorm;
    private double _lr;
    private long _scheduleUpdate = -1;

    /// <param name="optimizer">Steps the parameters of <paramref name="groups"/>.</param>
    /// <param name="groups">Parameter groups with their base lr.</param>
    /// <param name="schedule">Per-step lr.</param>
    /// <param name="stepsPerEpoch">Loader iterations per epoch: the last one closes an accumulation window early.</param>
    /// <param name="accumulation">Micro-batches per optimizer step (1 = none).</param>
    /// <param name="clipGrad">Gradient-norm clip (0 = off).</param>
    /// <param name="reducer">Averages gradients over data-parallel ranks before clipping; null for one process.</param>
    public TrainStep(OptimizerHelper optimizer, IReadOnlyList<ParamGroup> groups, LrSchedule schedule, int stepsPerEpoch,
        int accumulation, double clipGrad, GradientAllReducer? reducer = null)
    {
        _optimizer = optimizer;
        _groups = groups;
        _schedule = schedule;
        _parameters = groups.SelectMany(g => g.Parameters).ToList();
        _stepsPerEpoch = stepsPerEpoch;
        _accumulation = Math.Max(1, accumulation);
        _clipGrad = clipGrad;
        _reducer = reducer;
    }

    /// <summary>The loader iteration at which the lr was last set from the schedule (-1 before the first step).</summary>
    public long ScheduleUpdate => _scheduleUpdate;

    /// <summary>Continues the schedule of a resumed run, whose lr was last set at loader iteration <paramref name="lastUpdate"/>.</summary>
    public void RestoreSchedule(long lastUpdate) => _scheduleUpdate = lastUpdate;

    /// <summary>
    /// Backpropagates <paramref name="loss"/> (the micro-batch's mean loss) and steps the optimizer when an
    /// accumulation window closes. <paramref name="globalStep"/> counts loader iterations over the run, as the
    /// reference's scheduler does. <paramref name="lossIsFinite"/>, when given, replaces the check of
    /// <paramref name="loss"/> itself: a data-parallel loop passes whether the loss is finite on every rank, so that
    /// all ranks skip the same steps.
    /// </summary>
    public StepResult Run(Tensor loss, int stepInEpoch, long globalStep, bool? lossIsFinite = null)
    {
        // A non-finite loss is still backpropagated, so every data-parallel rank runs the same collective calls.
        _windowHasNonFiniteLoss |= !(lossIsFinite ?? isfinite(loss).all().item<bool>());
        (_accumulation > 1 ? loss / _accumulation : loss).backward();
        if ((stepInEpoch + 1) % _accumulation != 0 && stepInEpoch + 1 != _stepsPerEpoch)
            return Result(StepOutcome.Accumulating);

        // DDP has averaged the gradients by the time the reference clips them; the averaged norm is the same on every rank.
        _reducer?.AllReduce();
        // The reference clips to CLIP_GRAD and logs the norm; with clipping off it still logs the norm.
        // float.MaxValue, not double.MaxValue: libtorch turns max_norm into a float and fails on overflow.
        _gradNorm = nn.utils.clip_grad_norm_(_parameters, _clipGrad > 0 ? _clipGrad : float.MaxValue);
        if (_windowHasNonFiniteLoss || !double.IsFinite(_gradNorm))
        {
            _optimizer.zero_grad();
            _windowHasNonFiniteLoss = false;
            // The schedule still moves on: lr stays a function of the loader iteration, as if the step had been taken.
            _scheduleUpdate = globalStep;
            return Result(StepOutcome.SkippedNonFinite);
        }
        int index = 0;
        foreach (var group in _optimizer.ParamGroups)
            group.LearningRate = _schedule.ForOptimizerStep(_scheduleUpdate, _groups[index++].BaseLr);
        _lr = _optimizer.ParamGroups.First().LearningRate;
        _optimizer.step();
        _optimizer.zero_grad();
        _scheduleUpdate = globalStep;
        return Result(StepOutcome.Stepped);
    }

    private StepResult Result(StepOutcome outcome) => new(outcome, _gradNorm, _lr, _scheduleUpdate);
}
