"""Summarises pretraining runs (metrics.csv + log.txt per run) into a Markdown report and loss-curve plot."""
import csv
import glob
import os
import re
import shutil
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(run_dir):
    rows = list(csv.DictReader(open(os.path.join(run_dir, "metrics.csv"))))
    epochs = {}
    for r in rows:
        epochs.setdefault(int(r["epoch"]), []).append(float(r["loss"]))
    durations = [float(m.group(1)) for m in re.finditer(r"done: mean loss [\d.]+, ([\d.]+) s", open(os.path.join(run_dir, "log.txt")).read())]
    rss = {int(r["global_step"]): int(r["rss_bytes"]) for r in rows}
    return rows, epochs, durations, rss


def main(out, docs):
    os.makedirs(docs, exist_ok=True)
    lines = ["# SimMIM pretraining on Fashion-MNIST", "",
             "Made by `experiments/pretrain_fashion_mnist.sh` (2-core machine, 60 000 training images, labels unused).", ""]
    plt.figure(figsize=(8, 4))
    for run_dir in sorted(glob.glob(os.path.join(out, "*", "*"))):
        if not os.path.exists(os.path.join(run_dir, "metrics.csv")):
            continue
        name = os.path.basename(run_dir)
        rows, epochs, durations, rss = load(run_dir)
        steps = [int(r["global_step"]) for r in rows]
        losses = [float(r["loss"]) for r in rows]
        smooth = [sum(losses[max(0, i - 49):i + 1]) / len(losses[max(0, i - 49):i + 1]) for i in range(len(losses))]
        plt.plot(steps, smooth, label=name)
        peak = ""
        for candidate in glob.glob(os.path.join(out, f"{name}.time")):
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(candidate).read())
            if m:
                peak = f"{int(m.group(1)) / 1024:.0f} MiB"
        lines += [f"## {name}", "", "| epoch | mean loss | seconds |", "|---|---|---|"]
        for e in sorted(epochs):
            d = durations[e] if e < len(durations) else float("nan")
            lines.append(f"| {e} | {sum(epochs[e]) / len(epochs[e]):.4f} | {d:.0f} |")
        lines.append("")
        if peak:
            lines.append(f"Peak RSS (whole process, /usr/bin/time): {peak}.")
        for a, b in ((100, 1000), (200, 2000)):
            if a in rss and b in rss:
                lines.append(f"RSS at step {a}: {rss[a] / 2**20:.0f} MiB; at step {b}: {rss[b] / 2**20:.0f} MiB "
                             f"({100 * (rss[b] - rss[a]) / rss[a]:+.1f} %).")
        grids = sorted(glob.glob(os.path.join(run_dir, "reconstruction_epoch_*.png")),
                       key=lambda p: int(re.search(r"(\d+)\.png$", p).group(1)))
        for g in (grids[0], grids[-1]) if grids else ():
            target = f"{name}-{os.path.basename(g)}"
            shutil.copy(g, os.path.join(docs, target))
            lines.append(f"\n![{name} {os.path.basename(g)}]({target})")
        lines.append("")
    plt.xlabel("step")
    plt.ylabel("masked L1 loss (50-step mean)")
    plt.legend()
    plt.tight_layout()
    plt.savefig(os.path.join(docs, "loss.png"), dpi=100)
    lines.insert(4, "![loss curves](loss.png)\n")
    open(os.path.join(docs, "README.md"), "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
