"""Crash drill: kill -9 a tiny pretraining (or linear-probe) run at random moments, resume it each time, and compare
the result with an uninterrupted run of the same length.

The kills rotate through three aims: a random time before the first step (startup and checkpoint loading), a random
moment of a random later step, and the inside of a checkpoint write (the kill follows the appearance of the
writer's temporary file). After every kill each checkpoint left in the run directory must load (PyTorch's own
reader, which checks the zip CRCs). At the end the resumed run's final weights and optimizer state must equal the
uninterrupted run's to 1e-6, every loss the resumed attempts logged must equal the uninterrupted run's loss at the
same step, metrics.csv must end as one series of the run's steps (each once, in order), and no resume may have had
to skip an unreadable checkpoint.

Usage: /usr/bin/python3 scripts/crash_drill.py --simmim PATH [--task pretrain|linprobe] [--kills 20] [--seed 1] [--work DIR]
Exit status 0 when every check passes. Needs PyTorch (Debian's python3-torch) for the checks.
"""
import argparse
import csv
import glob
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import torch

# A tiny run: Swin on the built-in shapes at 32 px, 6 epochs of 10 steps, drop path on, a checkpoint after every
# step of which the newest 3 are kept. One torch thread: the result must not depend on thread scheduling.
RUN_ARGS = ["--threads", "1", "--steps-per-epoch", "10", "--opts",
            "TRAIN.EPOCHS", "6", "TRAIN.WARMUP_EPOCHS", "1", "DATA.BATCH_SIZE", "8", "DATA.IMG_SIZE", "32",
            "DATA.MASK_PATCH_SIZE", "8", "DATA.NUM_WORKERS", "1", "MODEL.DROP_PATH_RATE", "0.1",
            "SAVE_STEPS", "1", "SAVE_KEEP", "3", "SEED", "7"]
# The linear probe on the same demo config and built-in data: a random frozen encoder, 80 labelled images (10 steps
# of 8), features of augmented views recomputed every step, 6 epochs, a checkpoint of the head after every step.
PROBE_ARGS = ["--cfg", "configs/demo.yaml", "--threads", "1", "--augment", "--label-fraction", "0.04", "--opts",
              "TRAIN.EPOCHS", "6", "TRAIN.WARMUP_EPOCHS", "1", "DATA.BATCH_SIZE", "8", "DATA.IMG_SIZE", "32",
              "DATA.MASK_PATCH_SIZE", "8", "DATA.NUM_WORKERS", "1", "SAVE_STEPS", "1", "SAVE_KEEP", "3", "SEED", "7"]
TOLERANCE = 1e-6
# Set by main from --task: the command, its arguments, where it writes checkpoints and its final checkpoint.
TASK = {}


def run_dir(output):
    return os.path.join(output, "simmim_demo", "default")


def checkpoint_dir(output):
    return os.path.join(run_dir(output), *TASK["checkpoints"])


def final_checkpoint(output):
    return os.path.join(run_dir(output), TASK["final"])


def start(simmim, output):
    return subprocess.Popen([simmim, TASK["command"], "--output", output] + TASK["args"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})


def metrics_rows(output):
    path = os.path.join(run_dir(output), "metrics.csv")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [row for row in csv.DictReader(f) if row.get("loss")]


def new_rows(output, before):
    """The rows logged since the set of rows before was taken. A resumed run first drops the rows past its checkpoint
    (metrics.csv stays one series), so rows are told apart by content, not counted."""
    return [row for row in metrics_rows(output) if tuple(row.values()) not in before]


def row_set(output):
    return {tuple(row.values()) for row in metrics_rows(output)}


def tensors(value, prefix=""):
    """Every tensor in a nested checkpoint, by a path-like key."""
    if isinstance(value, torch.Tensor):
        yield prefix, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from tensors(item, f"{prefix}/{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from tensors(item, f"{prefix}/{i}")


def max_difference(a, b, section):
    left, right = dict(tensors(a[section])), dict(tensors(b[section]))
    if left.keys() != right.keys():
        raise SystemExit(f"{section}: the checkpoints hold different keys")
    return max((left[k].double() - right[k].double()).abs().max().item() for k in left if left[k].numel() > 0)


def check_all_load(output):
    """Loads every checkpoint in the run directory; returns (files checked, failures)."""
    files = sorted(glob.glob(os.path.join(checkpoint_dir(output), "ckpt_epoch_*.pth")))
    failures = []
    for path in files:
        try:
            torch.load(path, weights_only=True)
        except Exception as e:  # any failure to load is what the drill looks for
            failures.append(f"{os.path.basename(path)}: {e}")
    return len(files), failures


def kill_during_write(process, output):
    """Kills the run as soon as this process has a checkpoint's temporary file open; False when the run ended first."""
    directory, suffix = checkpoint_dir(output), f".{process.pid}.tmp"
    while process.poll() is None:
        try:
            if any(name.startswith(".ckpt_") and name.endswith(suffix) for name in os.listdir(directory)):
                process.send_signal(signal.SIGKILL)
                return True
        except FileNotFoundError:
            pass
    return False


def kill_after_steps(process, output, before, steps, rng, times):
    """Kills the run at a random moment of its steps-th new step (a random fraction of a step time after the
    previous one was logged); False when the run ended first. Appends when each new step was logged to times."""
    while process.poll() is None:
        rows = len(new_rows(output, before))
        if rows > len(times):
            times += [time.monotonic()] * (rows - len(times))
        if len(times) >= steps:
            step_time = times[-1] - times[-2] if len(times) >= 2 else 0.05
            time.sleep(rng.uniform(0, step_time))
            if process.poll() is not None:
                return False
            process.send_signal(signal.SIGKILL)
            return True
        time.sleep(0.002)
    return False


def kill_after(process, seconds):
    """Kills the run after a time; False when it ended first."""
    try:
        process.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simmim", required=True)
    parser.add_argument("--task", choices=["pretrain", "linprobe"], default="pretrain")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    TASK.update({"command": "pretrain", "args": RUN_ARGS, "checkpoints": [], "final": "ckpt_epoch_5.pth"}
                if args.task == "pretrain" else
                {"command": "linprobe", "args": PROBE_ARGS, "checkpoints": ["probe_checkpoints"], "final": "linear_probe.pth"})
    work = args.work or tempfile.mkdtemp(prefix="simmim-crash-drill.")
    reference, drill = os.path.join(work, "reference"), os.path.join(work, "drill")

    # The uninterrupted run, timed: startup until its first step, and the whole run.
    began = time.monotonic()
    process = start(args.simmim, reference)
    while not metrics_rows(reference) and process.poll() is None:
        time.sleep(0.01)
    startup = time.monotonic() - began
    if process.wait() != 0:
        raise SystemExit(f"the reference run failed: {process.stderr.read().decode()}")
    total = time.monotonic() - began
    print(f"reference run: {total:.1f} s ({startup:.1f} s to the first step), {len(metrics_rows(reference))} steps")

    # Kills rotate through three aims: a random time before the first step (startup, checkpoint loading), a random
    # moment of a random later step, and the inside of a checkpoint write. Aiming by progress rather than by clock
    # keeps the drill meaningful on a loaded machine, where a step's duration varies a hundredfold.
    steps_total = len(metrics_rows(reference))
    reference_loss = {row["global_step"]: float(row["loss"]) for row in metrics_rows(reference)}
    kills, load_failures, checked, logged_rows, loss = [], [], 0, 0, 0.0
    first_step = startup
    while len(kills) < args.kills:
        before = row_set(drill)
        done = len({row["global_step"] for row in metrics_rows(drill)})
        remaining_steps, remaining_kills = steps_total - done, args.kills - len(kills)
        began = time.monotonic()
        process = start(args.simmim, drill)
        aim = ("startup", "a random step", "a checkpoint write")[len(kills) % 3]
        if aim == "startup":
            landed = kill_after(process, rng.uniform(0, first_step))
        elif aim == "a random step":
            # Spread the run's steps over the kills left, so the run is still going at the last one.
            most = max(1, min(remaining_steps - 1, 2 * remaining_steps // remaining_kills))
            logged = []
            landed = kill_after_steps(process, drill, before, rng.randint(1, most), rng, logged)
            if logged:
                first_step = logged[0] - began   # this machine's current time to the first step
        else:
            landed = kill_during_write(process, drill)
        code = process.wait()
        if not landed:
            if code != 0:
                raise SystemExit(f"the run failed on its own (exit {code}): {process.stderr.read().decode()}")
            print(f"the run finished before kill {len(kills) + 1}; make it longer for more kills")
            break
        attempt = new_rows(drill, before)
        new_steps = len(attempt)
        # Compared now: the next resume drops the rows past its checkpoint, which this attempt may have logged.
        logged_rows += new_steps
        loss = max([loss] + [abs(float(row["loss"]) - reference_loss[row["global_step"]]) for row in attempt])
        # Where the kill landed: inside a checkpoint write when this process's temporary file is still there
        # (AtomicFile names it after the writer's pid), else before or after the first step of this attempt.
        mid_write = bool(glob.glob(os.path.join(checkpoint_dir(drill), f".ckpt_*.{process.pid}.tmp")))
        phase = "mid-write" if mid_write else "training" if new_steps > 0 else "startup"
        steps = len({row["global_step"] for row in metrics_rows(drill)})
        n, failures = check_all_load(drill)
        checked += n
        load_failures += failures
        kills.append((aim, phase))
        print(f"kill {len(kills):2d} aimed at {aim}, landed in {phase} after {new_steps} new steps: {steps}/{steps_total} "
              f"steps done; {n} checkpoints on disk, {'all load' if not failures else 'NOT ALL LOAD: ' + '; '.join(failures)}")

    # Finish the run without interruption.
    before = row_set(drill)
    process = start(args.simmim, drill)
    if process.wait() != 0:
        raise SystemExit(f"the final resume failed: {process.stderr.read().decode()}")
    attempt = new_rows(drill, before)
    logged_rows += len(attempt)
    loss = max([loss] + [abs(float(row["loss"]) - reference_loss[row["global_step"]]) for row in attempt])

    a = torch.load(final_checkpoint(reference), weights_only=True)
    b = torch.load(final_checkpoint(drill), weights_only=True)
    weights = max_difference(a, b, "model")
    optimizer = max_difference(a, b, "optimizer")
    drill_rows = metrics_rows(drill)
    series_ok = [int(row["global_step"]) for row in drill_rows] == list(range(1, steps_total + 1))
    log = open(os.path.join(run_dir(drill), "log.txt")).read()
    resumes = log.count("resumed from")
    skipped = log.count("auto-resume: skipped")
    cleaned = log.count("partial write of a process that was stopped while saving")
    n, failures = check_all_load(drill)
    checked += n
    load_failures += failures

    print()
    phases = {phase: sum(k[1] == phase for k in kills) for phase in ("startup", "training", "mid-write")}
    aims = {aim: sum(k[0] == aim for k in kills) for aim in ("startup", "a random step", "a checkpoint write")}
    print(f"kills: {len(kills)} (aimed at startup {aims['startup']}, a random step {aims['a random step']}, "
          f"a checkpoint write {aims['a checkpoint write']}); landed during startup or checkpoint loading: "
          f"{phases['startup']}, between or inside steps: {phases['training']}, inside a checkpoint write (its "
          f"partial file left behind): {phases['mid-write']}")
    print(f"resumes: {resumes}; checkpoints skipped as unreadable on resume: {skipped}; partial files cleaned up: {cleaned}")
    print(f"checkpoint loads checked: {checked}, failures: {len(load_failures)}")
    print(f"steps logged by the drill run (re-run steps counted again): {logged_rows}; "
          f"max |loss - uninterrupted loss| at the same step: {loss:.3g}; metrics.csv "
          f"{'is one series of' if series_ok else 'is NOT one series of'} steps 1..{steps_total}")
    print(f"final weights: max |difference| {weights:.3g}; optimizer state: max |difference| {optimizer:.3g} "
          f"(tolerance {TOLERANCE:g})")
    ok = weights <= TOLERANCE and optimizer <= TOLERANCE and loss <= TOLERANCE and not load_failures and skipped == 0 \
        and len(kills) == args.kills and series_ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
