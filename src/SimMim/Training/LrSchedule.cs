namespace SimMim.Training;

/// <summary>
/// The reference's per-step learning-rate schedules (timm schedulers with t_in_epochs=False, spec §4.4) as a pure
/// function of the step. Steps count data-loader iterations (micro-batches), as the reference's do. Every parameter
/// group has its own base lr (layer decay is baked into it); warmup start and the cosine floor are shared.
/// </summary>
public sealed class LrSchedule
{
    private readonly string _name;
    private readonly long _totalSteps;
    private readonly long _warmupSteps;
    private readonly double _warmupLr;
    private readonly double _minLr;
    private readonly long[] _milestones;
    private readonly double _gamma;
    private readonly long _decaySteps;
    private readonly double _decayRate;

    public LrSchedule(string name, int epochs, int warmupEpochs, long stepsPerEpoch, double warmupLr, double minLr,
        IReadOnlyList<int>? multisteps = null, double gamma = 0.1, int decayEpochs = 30, double decayRate = 0.1)
    {
        _name = name.ToLowerInvariant();
        _totalSteps = epochs * stepsPerEpoch;
        _warmupSteps = warmupEpochs * stepsPerEpoch;
        _warmupLr = warmupLr;
        _minLr = minLr;
        _milestones = (multisteps ?? []).Select(m => m * stepsPerEpoch).ToArray();
        _gamma = gamma;
        _decaySteps = Math.Max(1, decayEpochs * stepsPerEpoch);
        _decayRate = decayRate;
        if (_name is not ("cosine" or "multistep" or "step" or "linear"))
            throw new ConfigException($"TRAIN.LR_SCHEDULER.NAME: unknown scheduler '{name}' (cosine, multistep, step, linear)");
    }

    /// <summary>The schedule value f(t) for a group whose peak lr is <paramref name="baseLr"/>.</summary>
    public double At(long step, double baseLr)
    {
        if (step < _warmupSteps)
            return _warmupLr + step * (baseLr - _warmupLr) / _warmupSteps;
        return _name switch
        {
            // timm CosineLRScheduler, one cycle: t counts from 0 including warmup.
            "cosine" => step >= _totalSteps
                ? _minLr
                : _minLr + 0.5 * (baseLr - _minLr) * (1 + Math.Cos(Math.PI * step / _totalSteps)),
            "multistep" => baseLr * Math.Pow(_gamma, UpperBound(_milestones, step)),
            "step" => baseLr * Math.Pow(_decayRate, step / _decaySteps),
            // timm LinearLRScheduler as the reference configures it (lr_min_rate 0.01).
            _ => baseLr - (baseLr - baseLr * 0.01) * ((double)(step - _warmupSteps) / Math.Max(1, _totalSteps - _warmupSteps)),
        };
    }

    /// <summary>
    /// The lr the reference actually uses for an optimizer step: it starts at WARMUP_LR and is set to f(k) after
    /// the optimizer step at loader iteration k, so a step runs with f(<paramref name="lastUpdateStep"/>) — the
    /// first two steps both use WARMUP_LR.
    /// </summary>
    public double ForOptimizerStep(long lastUpdateStep, double baseLr) =>
        lastUpdateStep < 0 ? (_warmupSteps > 0 ? _warmupLr : At(0, baseLr)) : At(lastUpdateStep, baseLr);

    private static int UpperBound(long[] sorted, long value)
    {
        int count = 0;
        foreach (long m in sorted)
            if (m <= value) count++;
        return count;
    }
}
