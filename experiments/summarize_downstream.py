"""Summarises experiments/downstream_fashion_mnist.sh into docs/RESULTS.md.

Reads, per run TAG in the output directory: TAG.time (GNU time -v: wall time, peak RSS) and the run's log.txt
(OUTPUT/MODEL.NAME/TAG/log.txt: the final epoch's test top-1, the number of training images).
Usage: summarize_downstream.py OUT RESULTS_MD PRETRAINED_VIT PRETRAINED_SWIN
"""
import glob
import os
import re
import sys

FRACTIONS = ["0.01", "0.1", "1.0"]


def wall_seconds(text):
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
    h, mnt, s = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + float(s)


def peak_rss_mib(text):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024


def run_info(out, tag):
    time_file = os.path.join(out, tag + ".time")
    if not os.path.exists(time_file):
        return None
    timing = open(time_file).read()
    logs = glob.glob(os.path.join(out, "*", tag, "log.txt"))
    if len(logs) != 1:
        raise SystemExit(f"{tag}: expected one log.txt under {out}/*/{tag}, found {len(logs)}")
    log = open(logs[0]).read()
    top1 = re.findall(r"epoch (\d+) done:.*?top-1 ([\d.]+) %", log)
    if not top1:
        raise SystemExit(f"{logs[0]}: no validated epoch")
    images = re.search(r"train (\d+) images", log)
    epoch, final = top1[-1]
    return {
        "top1": float(final),
        "epochs": int(epoch) + 1,
        "images": int(images.group(1)) if images else None,
        "wall": wall_seconds(timing),
        "rss": peak_rss_mib(timing),
    }


def fmt_time(seconds):
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def main(out, results_md, pretrained_vit, pretrained_swin):
    lines = [
        "# Does SimMIM pretraining help? Fashion-MNIST, 2 CPU cores",
        "",
        "Made by `experiments/downstream_fashion_mnist.sh` (this file by `experiments/summarize_downstream.py`).",
        "Encoders pretrained with SimMIM on the 60 000 training images, labels unused "
        f"(`experiments/pretrain_fashion_mnist.sh`; ViT: `{pretrained_vit}`, Swin: `{pretrained_swin}`, "
        "see [PRETRAINING.md](PRETRAINING.md)). Top-1 is measured on the 10 000 test images after the **last** epoch "
        "(no epoch is chosen on the test set). Pretrained and scratch runs of a row share every setting but the "
        "initial weights. Wall time is the whole process (data, training, validation); peak RSS from GNU time.",
        "",
        "## Fine-tuning vs training from scratch",
        "",
        "| model | labels | train images | epochs | pretrained top-1 | scratch top-1 | gain | pretrained time / RSS | scratch time / RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    total_wall = 0.0
    for model in ["vit", "swin"]:
        for fraction in FRACTIONS:
            pre = run_info(out, f"finetune_{model}_pretrained_{fraction}")
            scr = run_info(out, f"finetune_{model}_scratch_{fraction}")
            if pre is None or scr is None:
                continue
            total_wall += pre["wall"] + scr["wall"]
            gain = pre["top1"] - scr["top1"]
            verdicts.append((model, fraction, gain))
            lines.append(
                f"| {model} | {float(fraction):.0%} | {pre['images']} | {pre['epochs']} | {pre['top1']:.2f} % | "
                f"{scr['top1']:.2f} % | {gain:+.2f} | {fmt_time(pre['wall'])} / {pre['rss']:.0f} MiB | "
                f"{fmt_time(scr['wall'])} / {scr['rss']:.0f} MiB |")
    lines += [
        "",
        "## Linear probe (frozen encoder, BatchNorm without affine + linear classifier)",
        "",
        "| model | features | pretrained top-1 | random-init top-1 | gain | pretrained time / RSS | random time / RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for model in ["vit", "swin"]:
        pre = run_info(out, f"linprobe_{model}_pretrained")
        rnd = run_info(out, f"linprobe_{model}_random")
        if pre is None or rnd is None:
            continue
        total_wall += pre["wall"] + rnd["wall"]
        where = "mean of patch tokens after block 4 of 6" if model == "vit" else "pooled final stage"
        lines.append(
            f"| {model} | {where} | {pre['top1']:.2f} % | {rnd['top1']:.2f} % | {pre['top1'] - rnd['top1']:+.2f} | "
            f"{fmt_time(pre['wall'])} / {pre['rss']:.0f} MiB | {fmt_time(rnd['wall'])} / {rnd['rss']:.0f} MiB |")
    wins = sum(1 for _, _, g in verdicts if g > 0)
    lines += [
        "",
        f"Sum of the downstream runs' wall times: {fmt_time(total_wall)}. The script runs a model's pretrained and scratch "
        "halves side by side, one thread each, so its elapsed time is about half of that; the notes below say where a "
        "recorded run differs.",
        f"Pretrained beats scratch in {wins} of {len(verdicts)} fine-tuning comparisons.",
        "",
    ]
    elapsed = os.path.join(out, "experiment.seconds")
    if os.path.exists(elapsed):
        lines[-1:-1] = [f"Elapsed time of the whole experiment, the pretraining of both encoders included: "
                        f"{fmt_time(float(open(elapsed).read()))}.", ""]
    precisions = sorted({m for log in glob.glob(os.path.join(out, "*", "*", "log.txt"))
                         for m in re.findall(r"\] precision (\w+)", open(log).read())})
    if precisions:
        lines[-1:-1] = [f"Precision of the fine-tuning runs: {', '.join(precisions)} (the linear probes run in fp32).", ""]
    # The discussion of a recorded run is written by hand and kept beside the script.
    notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "downstream_notes.md")
    if os.path.exists(notes):
        lines += [open(notes).read().rstrip(), ""]
    with open(results_md, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:5])
