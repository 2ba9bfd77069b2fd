#!/usr/bin/env python3
"""Compares fp32 and bf16 pretraining loss curves (metrics.csv of two `simmim pretrain` runs from the same seed).

usage: compare_loss_curves.py [--plot PNG] NAME FP32_METRICS BF16_METRICS [NAME FP32 BF16 ...]

Per pair: mean loss of the first and last 20 % of the steps, the mean and largest relative per-step difference,
the relative difference of the last-20 % means, and the throughput of each run (median images/s). A plot of all
curves is written when --plot is given.
"""
import csv
import statistics
import sys


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [float(r["loss"]) for r in rows], [float(r["images_per_second"]) for r in rows]


def main(argv):
    plot = None
    if argv[:1] == ["--plot"]:
        plot, argv = argv[1], argv[2:]
    if not argv or len(argv) % 3:
        sys.exit(__doc__)
    curves = []
    print(f"{'run':<26} {'steps':>5} {'fp32 first':>10} {'bf16 first':>10} {'fp32 last':>10} {'bf16 last':>10} "
          f"{'last rel':>9} {'step mean':>9} {'step max':>9} {'fp32 img/s':>10} {'bf16 img/s':>10} {'speed-up':>8}")
    for i in range(0, len(argv), 3):
        name, (l32, s32), (l16, s16) = argv[i], read(argv[i + 1]), read(argv[i + 2])
        n = min(len(l32), len(l16))
        if n < 5:
            sys.exit(f"{name}: only {n} steps to compare")
        l32, l16 = l32[:n], l16[:n]
        k = max(1, n // 5)
        first32, first16 = statistics.mean(l32[:k]), statistics.mean(l16[:k])
        last32, last16 = statistics.mean(l32[-k:]), statistics.mean(l16[-k:])
        rel = [abs(a - b) / abs(a) for a, b in zip(l32, l16)]
        speed32, speed16 = statistics.median(s32[1:] or s32), statistics.median(s16[1:] or s16)
        print(f"{name:<26} {n:>5} {first32:>10.4f} {first16:>10.4f} {last32:>10.4f} {last16:>10.4f} "
              f"{abs(last16 - last32) / last32:>9.2%} {statistics.mean(rel):>9.2%} {max(rel):>9.2%} "
              f"{speed32:>10.1f} {speed16:>10.1f} {speed16 / speed32:>7.2f}x")
        curves.append((name, l32, l16))
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, len(curves), figsize=(6 * len(curves), 4), squeeze=False)
        for ax, (name, l32, l16) in zip(axes[0], curves):
            ax.plot(l32, label="fp32", linewidth=1)
            ax.plot(l16, label="bf16 mixed", linewidth=1, alpha=0.8)
            ax.set_title(name)
            ax.set_xlabel("step")
            ax.set_ylabel("masked L1 loss")
            ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=100)


if __name__ == "__main__":
    main(sys.argv[1:])
