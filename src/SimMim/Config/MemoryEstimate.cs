using System.Globalization;
using SimMim.Models;

namespace SimMim.Config;

/// <summary>
/// A lower bound on the memory a run needs, worked out from the config alone so that a size that cannot fit is
/// refused before anything is allocated (DATA.IMG_SIZE 65536 otherwise grows to 15 GB in 35 s and then fails deep in
/// libtorch). It counts only what must exist: fp32 weights (with gradients and AdamW's two moments when training),
/// the input batch, and per block of every image what autograd has to keep for the backward pass — the block input
/// (C), q/k/v (3C), the MLP hidden layer (H = C·MLP_RATIO) and the attention probabilities (heads × keys per token).
/// The real run keeps more (norm outputs, GELU inputs, the decoder, the data pipeline's buffers), so a config this
/// refuses cannot fit; one it accepts may still need more. Inference keeps one block's activations at a time.
/// </summary>
/// <param name="Parameters">Weights of the encoder and of the decoder (pretraining) or the classifier (fine-tuning).</param>
/// <param name="ParameterBytes">fp32 weights, times 4 when training (gradients, AdamW exp_avg and exp_avg_sq).</param>
/// <param name="ActivationBytes">What the blocks keep for a batch.</param>
/// <param name="InputBytes">The fp32 image batch.</param>
/// <param name="Batch">Images per step.</param>
/// <param name="Tokens">Tokens per image entering the first block.</param>
/// <param name="Training">Whether gradients and optimizer state are counted.</param>
public sealed record MemoryEstimate(double Parameters, double ParameterBytes, double ActivationBytes, double InputBytes,
    int Batch, double Tokens, bool Training)
{
    private const double BytesPerFloat = 4;

    public double TotalBytes => ParameterBytes + ActivationBytes + InputBytes;

    /// <summary>The estimate for a config that <see cref="ConfigValidator.Validate"/> accepts.</summary>
    /// <param name="config">The run's config (MODEL.*, DATA.IMG_SIZE, DATA.BATCH_SIZE).</param>
    /// <param name="stage">Pretraining counts the SimMIM decoder; fine-tuning the MODEL.NUM_CLASSES classifier.</param>
    /// <param name="training">Count gradients, optimizer state and every block's activations.</param>
    /// <param name="batch">Images per step when it is not DATA.BATCH_SIZE (e.g. a reconstruction grid).</param>
    public static MemoryEstimate For(SimMimConfig config, ConfigStage stage, bool training, int? batch = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        int images = batch ?? config.Data.BatchSize;
        double img = config.Data.ImgSize;
        EncoderMemory blocks = EncoderRegistry.Get(config.Model.Type).Memory(config.Model, config.Data.ImgSize);

        double parameters = blocks.Parameters;
        double features = blocks.Features, stride = blocks.Stride;
        // Pretraining: the 1×1 conv to stride²·3 channels; fine-tuning: the linear classifier.
        parameters += stage == ConfigStage.Pretrain ? features * stride * stride * 3 : features * config.Model.NumClasses;
        double perImage = training ? blocks.ActivationsPerImage : blocks.LargestBlockPerImage;
        return new MemoryEstimate(
            Parameters: parameters,
            ParameterBytes: parameters * BytesPerFloat * (training ? 4 : 1),
            ActivationBytes: perImage * images * BytesPerFloat,
            InputBytes: 3 * img * img * images * BytesPerFloat,
            Batch: images,
            Tokens: blocks.Tokens,
            Training: training);
    }

    /// <summary>
    /// Throws a <see cref="ConfigException"/> with the estimate when <paramref name="processes"/> runs of this size
    /// exceed <paramref name="availableBytes"/>.
    /// </summary>
    /// <param name="availableBytes">What the machine has available.</param>
    /// <param name="config">The config, for the keys the message names.</param>
    /// <param name="processes">Data-parallel processes sharing this machine's memory, each needing this much.</param>
    public void Require(double availableBytes, SimMimConfig config, int processes = 1)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (TotalBytes * processes <= availableBytes)
        {
            return;
        }
        string what = Training ? "training" : "inference";
        throw new ConfigException(
            $"DATA.IMG_SIZE {config.Data.ImgSize} with a batch of {Batch} does not fit in memory: {config.Model.Type} {what} needs " +
            $"at least {Bytes(TotalBytes)} (weights{(Training ? ", gradients and optimizer state" : "")} {Bytes(ParameterBytes)} " +
            $"for {Parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters, activations {Bytes(ActivationBytes)} " +
            $"for {Tokens.ToString("N0", CultureInfo.InvariantCulture)} tokens per image, input {Bytes(InputBytes)})" +
            $"{(processes > 1 ? $" per process, {processes} processes on this machine," : ",")} but {Bytes(availableBytes)} is available; " +
            "lower DATA.IMG_SIZE, DATA.BATCH_SIZE or the model size");
    }

    /// <summary>"512 B", "1.5 MB", "22.6 GB", "3.4 TB" (powers of 1024).</summary>
    public static string Bytes(double bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"];
        int unit = 0;
        while (bytes >= 1024 && unit < units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0
            ? $"{bytes.ToString("F0", CultureInfo.InvariantCulture)} B"
            : $"{bytes.ToString(bytes >= 1e4 ? "N0" : "F1", CultureInfo.InvariantCulture)} {units[unit]}";
    }
}
