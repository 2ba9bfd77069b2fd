using SimMim.Checkpoints;
using SimMim.Config;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SimMim.Training;

/// <summary>
/// When and how a training loop writes checkpoints: after every SAVE_FREQ-th epoch and the last one, every SAVE_STEPS
/// loader iterations inside an epoch (at an optimizer-step boundary), and when the run is interrupted. After each
/// write only the newest SAVE_KEEP stay (0 keeps all). A write that fails (full disk, permissions) is reported and
/// leaves the previous checkpoint as it was; the run goes on and tries again at the next save. In a data-parallel run
/// only rank 0 writes (the replicas hold the same weights); the others keep the bookkeeping and touch no file.
/// </summary>
internal sealed class RunCheckpoints
{
    private readonly string _directory;
    private readonly SimMimConfig _config;
    private readonly nn.Module _model;
    private readonly OptimizerHelper _optimizer;
    private readonly RunReporter _reporter;
    private readonly bool _writes;
    private long _lastSaveStep;

    /// <param name="directory">The run's output directory.</param>
    /// <param name="config">SAVE_FREQ, SAVE_STEPS, SAVE_KEEP and the epoch count.</param>
    /// <param name="model">The weights saved.</param>
    /// <param name="optimizer">The optimizer state saved.</param>
    /// <param name="reporter">Where deletions (log) and failed writes (warnings) are reported.</param>
    /// <param name="start">Where the run resumed (its checkpoint is the first <see cref="LastGood"/>).</param>
    /// <param name="writes">False on data-parallel ranks other than 0: <see cref="Save"/> then writes nothing.</param>
    public RunCheckpoints(string directory, SimMimConfig config, nn.Module model, OptimizerHelper optimizer,
        RunReporter reporter, RunPosition start, bool writes = true)
    {
        _directory = directory;
        _config = config;
        _model = model;
        _optimizer = optimizer;
        _reporter = reporter;
        ConfigYaml = ConfigWriter.ToYaml(config);
        LastGood = start.ResumedFrom;
        _lastSaveStep = start.GlobalStep;
        _writes = writes;
        if (!writes) return;
        foreach (string stale in CheckpointFiles.DeleteStaleTemporaries(directory))
            _reporter.Warning($"deleted {stale}, the partial write of a process that was stopped while saving");
    }

    /// <summary>The run's config as every checkpoint (and config.yaml) records it.</summary>
    public string ConfigYaml { get; }

    /// <summary>The newest checkpoint written or resumed from.</summary>
    public string? LastGood { get; private set; }

    /// <summary>Why the last write failed; null when it succeeded.</summary>
    public string? LastFailure { get; private set; }

    public bool EpochEndDue(int epoch) => epoch % _config.SaveFreq == 0 || epoch == _config.Train.Epochs - 1;

    public bool MidEpochDue(long globalStep) => _config.SaveSteps > 0 && globalStep - _lastSaveStep >= _config.SaveSteps;

    /// <summary>
    /// Writes the checkpoint after <paramref name="globalStep"/> loader iterations: an epoch end when
    /// <paramref name="stepInEpoch"/> is 0 (<paramref name="epoch"/> done), else mid-epoch (<paramref name="stepInEpoch"/>
    /// steps of epoch + 1 done, with the sum and count of their finite losses); then prunes to SAVE_KEEP.
    /// </summary>
    /// <returns>The file written, or null when the write failed (reported; the previous checkpoint is untouched).</returns>
    public string? Save(int epoch, long globalStep, long scheduleUpdate, double maxAccuracy, int stepInEpoch = 0,
        double epochLossSum = 0, int epochLossCount = 0)
    {
        var state = new TrainingState(epoch, globalStep, scheduleUpdate, ConfigYaml, maxAccuracy,
            StepInEpoch: stepInEpoch, EpochLossSum: epochLossSum, EpochLossCount: epochLossCount);
        string path = Path.Combine(_directory, state.StepInEpoch == 0
            ? CheckpointFiles.EpochEnd(state.Epoch)
            : CheckpointFiles.MidEpoch(state.Epoch + 1, state.StepInEpoch));
        try
        {
            if (_writes) TrainingCheckpoint.Save(path, _model, _optimizer, state);
        }
        catch (OutputException e)
        {
            LastFailure = $"could not write checkpoint {path} ({e.Reason}); " +
                          (LastGood is null ? "there is no earlier checkpoint" : $"the previous checkpoint {LastGood} is intact");
            _reporter.Warning(LastFailure);
            return null;
        }
        LastGood = path;
        LastFailure = null;
        _lastSaveStep = state.GlobalStep;
        if (_writes && _config.SaveKeep > 0)
            Prune(path);
        return path;
    }

    private void Prune(string written)
    {
        try
        {
            foreach (string old in CheckpointFiles.Prune(_directory, _config.SaveKeep, written))
                _reporter.Log($"deleted {old} (SAVE_KEEP {_config.SaveKeep})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _reporter.Warning($"could not delete an old checkpoint ({e.Message}); keeping it");
        }
    }
}
