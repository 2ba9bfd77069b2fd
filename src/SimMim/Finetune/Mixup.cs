using static TorchSharp.torch;

namespace SimMim.Finetune;

/// <summary>
/// timm's Mixup/CutMix in 'batch' mode (spec §5): one λ per batch; each image is mixed with the batch reversed
/// (x.flip(0)), either blended (mixup) or with a box pasted in (cutmix), and the labels become smoothed one-hot
/// targets mixed by the same λ. Draws come from a seeded <see cref="Random"/>, so a run is reproducible.
/// </summary>
public sealed class Mixup
{
    private readonly Random _random;

    public Mixup(MixupOptions options, int seed) : this(options, new Random(seed))
    {
    }

    public Mixup(MixupOptions options, Random random)
    {
        if (options.NumClasses < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.NumClasses, "NumClasses must be positive");
        Options = options;
        _random = random;
    }

    public MixupOptions Options { get; }

    /// <summary>
    /// Mixes <paramref name="x"/> (B, C, H, W) in place and returns the soft targets (B, classes) for the int64
    /// labels <paramref name="target"/> (B). B must be even, as timm asserts.
    /// </summary>
    public Tensor Apply(Tensor x, Tensor target)
    {
        if (x.shape[0] % 2 != 0)
            throw new ArgumentException($"batch size {x.shape[0]} must be even for mixup/cutmix", nameof(x));
        double lam = MixBatch(x);
        return SoftTargets(target, Options.NumClasses, lam, Options.LabelSmoothing);
    }

    /// <summary>Draws λ and the method, mixes <paramref name="x"/> in place and returns the (area-corrected) λ.</summary>
    public double MixBatch(Tensor x)
    {
        var (lam, useCutmix) = DrawParameters();
        if (lam == 1.0)
            return 1.0;
        if (!useCutmix)
        {
            Blend(x, lam);
            return lam;
        }
        var (box, corrected) = CutmixBox((int)x.shape[^2], (int)x.shape[^1], lam);
        PasteFlipped(x, box);
        return corrected;
    }

    /// <summary>timm's _params_per_batch: (λ, cutmix?) with λ = 1 when the batch is not mixed.</summary>
    public (double Lam, bool UseCutmix) DrawParameters()
    {
        var o = Options;
        if (!(o.Enabled && _random.NextDouble() < o.Prob))
            return (1.0, false);
        bool mixupOn = o.MixupAlpha > 0, cutmixOn = o.CutmixAlpha > 0 || o.CutmixMinMax is not null;
        bool useCutmix = mixupOn && cutmixOn ? _random.NextDouble() < o.SwitchProb : cutmixOn;
        double alpha = useCutmix ? o.CutmixAlpha : o.MixupAlpha;
        // With only CUTMIX_MINMAX set timm still draws Beta(α, α) for λ, which the box then overrides; α 0 → 1.
        double lam = BetaSampler.Beta(_random, alpha > 0 ? alpha : 1.0, alpha > 0 ? alpha : 1.0);
        return (lam, useCutmix);
    }

    /// <summary>
    /// timm's cutmix_bbox_and_lam: box (yl, yh, xl, xh) of side √(1−λ)·size around a uniform centre, clipped to
    /// the image, or of a side drawn from CutmixMinMax; λ recomputed from the clipped area when CorrectLam.
    /// </summary>
    public ((int Yl, int Yh, int Xl, int Xh) Box, double Lam) CutmixBox(int height, int width, double lam)
    {
        (int, int, int, int) box;
        if (Options.CutmixMinMax is var (min, max))
        {
            // timm bounds the height draw by the width too (rand_bbox_minmax); kept for identical behaviour.
            int cutH = _random.Next((int)(height * min), (int)(width * max));
            int cutW = _random.Next((int)(width * min), (int)(width * max));
            int yl = _random.Next(0, height - cutH), xl = _random.Next(0, width - cutW);
            box = (yl, yl + cutH, xl, xl + cutW);
        }
        else
        {
            double ratio = Math.Sqrt(1 - lam);
            int cutH = (int)(height * ratio), cutW = (int)(width * ratio);
            int cy = _random.Next(0, height), cx = _random.Next(0, width);
            box = (Math.Clamp(cy - cutH / 2, 0, height), Math.Clamp(cy + cutH / 2, 0, height),
                Math.Clamp(cx - cutW / 2, 0, width), Math.Clamp(cx + cutW / 2, 0, width));
        }
        var (y0, y1, x0, x1) = box;
        if (Options.CorrectLam || Options.CutmixMinMax is not null)
            lam = 1.0 - (double)(y1 - y0) * (x1 - x0) / ((double)height * width);
        return (box, lam);
    }

    /// <summary>Mixup in place: x ← λ·x + (1−λ)·x.flip(0).</summary>
    public static void Blend(Tensor x, double lam)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flipped = x.flip(0).mul_(1.0 - lam);
        x.mul_(lam).add_(flipped);
    }

    /// <summary>Cutmix in place: the box of every image is replaced by that of its mirror in the batch.</summary>
    public static void PasteFlipped(Tensor x, (int Yl, int Yh, int Xl, int Xh) box)
    {
        if (box.Yh <= box.Yl || box.Xh <= box.Xl)
            return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = TensorIndex.Slice(box.Yl, box.Yh);
        var cols = TensorIndex.Slice(box.Xl, box.Xh);
        var source = x.flip(0)[TensorIndex.Ellipsis, rows, cols];   // a copy: the reference reads before writing
        x[TensorIndex.Ellipsis, rows, cols] = source;
    }

    /// <summary>
    /// timm's mixup_target: smoothed one-hot (off = s/K, on = 1 − s + off) of the labels and of the labels reversed,
    /// mixed λ : (1−λ). (B) int64 → (B, K) float32.
    /// </summary>
    public static Tensor SoftTargets(Tensor target, int numClasses, double lam, double smoothing)
    {
        double off = smoothing / numClasses, on = 1.0 - smoothing + off;
        var labels = target.to_type(ScalarType.Int64).unsqueeze(1);                                   // (B, 1)
        var onValues = full(target.shape[0], 1, on, ScalarType.Float32, target.device);                // (B, 1)
        var y1 = full(target.shape[0], numClasses, off, ScalarType.Float32, target.device).scatter_(1, labels, onValues);   // (B, K)
        var y2 = full(target.shape[0], numClasses, off, ScalarType.Float32, target.device).scatter_(1, labels.flip(0), onValues);
        return y1 * lam + y2 * (1.0 - lam);
    }
}
