#!/usr/bin/env python3
"""PyTorch side-by-side of `simmim benchmark`: the same SimMIM model as a SimMIM.NET config (built from the
independent PyTorch implementation in tools/parity/simmim_reference.py), the same batch, masks, threads, AdamW
groups, gradient clipping, masked L1 loss, warm-up and step counts. Prints one JSON line whose field names match
the C# benchmark's where they measure the same thing.

Run it through bench/compare.sh, which makes sure PyTorch uses OpenBLAS with OPENBLAS_NUM_THREADS=1 (Debian's
python3-torch otherwise links the reference netlib BLAS, which is ~28x slower and no fair baseline).
"""
import argparse
import json
import math
import os
import resource
import sys
import time

# PyTorch parallelises around the BLAS calls itself; an OpenBLAS pool on top would oversubscribe the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "parity"))
import simmim_reference as ref  # noqa: E402

# config.py's defaults for the keys this script reads (spec §4.1); a config file overrides them.
DEFAULTS = {
    "DATA": {"BATCH_SIZE": 128, "IMG_SIZE": 224, "MASK_PATCH_SIZE": 32, "MASK_RATIO": 0.6},
    "MODEL": {
        "TYPE": "swin", "NAME": "swin_tiny_patch4_window7_224",
        "SWIN": {"PATCH_SIZE": 4, "IN_CHANS": 3, "EMBED_DIM": 96, "DEPTHS": [2, 2, 6, 2], "NUM_HEADS": [3, 6, 12, 24],
                 "WINDOW_SIZE": 7, "MLP_RATIO": 4.0, "QKV_BIAS": True, "QK_SCALE": None, "APE": False, "PATCH_NORM": True},
        "VIT": {"PATCH_SIZE": 16, "IN_CHANS": 3, "EMBED_DIM": 768, "DEPTH": 12, "NUM_HEADS": 12, "MLP_RATIO": 4,
                "QKV_BIAS": True, "INIT_VALUES": 0.1, "USE_APE": False, "USE_RPB": False, "USE_SHARED_RPB": True,
                "USE_MEAN_POOLING": False},
    },
    "TRAIN": {"BASE_LR": 5e-4, "WEIGHT_DECAY": 0.05, "CLIP_GRAD": 5.0,
              "OPTIMIZER": {"EPS": 1e-8, "BETAS": [0.9, 0.999]}},
    "SEED": 0,
}


def merge(base, override):
    out = dict(base)
    for key, value in override.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_config(path):
    """The YAML with its BASE files merged first (paths relative to the file), over config.py's defaults."""
    def read(p):
        with open(p) as f:
            cfg = yaml.safe_load(f) or {}
        merged = {}
        for base in cfg.pop("BASE", None) or cfg.pop("_BASE_", None) or []:
            if base:
                merged = merge(merged, read(os.path.join(os.path.dirname(p), base)))
        return merge(merged, cfg)
    return merge(DEFAULTS, read(path))


def build_model(cfg):
    img, model = cfg["DATA"]["IMG_SIZE"], cfg["MODEL"]
    if model["TYPE"] == "vit":
        v = model["VIT"]
        encoder = ref.VitForSimMim(img, v["PATCH_SIZE"], v["IN_CHANS"], v["EMBED_DIM"], v["DEPTH"], v["NUM_HEADS"],
                                   v["MLP_RATIO"], v["QKV_BIAS"], v["INIT_VALUES"], v["USE_APE"], v["USE_RPB"],
                                   v["USE_SHARED_RPB"], 1e-6, v["USE_MEAN_POOLING"], 0, True)
        skip = {"pos_embed", "cls_token"}
    else:
        s = model["SWIN"]
        encoder = ref.SwinForSimMim(img, s["PATCH_SIZE"], s["IN_CHANS"], s["EMBED_DIM"], s["DEPTHS"], s["NUM_HEADS"],
                                    s["WINDOW_SIZE"], s["MLP_RATIO"], s["QKV_BIAS"], s["QK_SCALE"], s["APE"],
                                    s["PATCH_NORM"], 0, True)
        skip = {"absolute_pos_embed", "mask_token"}
    simmim = ref.SimMim(encoder)
    # The reference's init in spirit (the timings do not depend on it): trunc-normal(.02) weights, zero biases,
    # unit LayerNorms; the parity module leaves everything at zero/one otherwise.
    with torch.no_grad():
        for m in simmim.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    m.bias.zero_()
        for name, p in simmim.named_parameters():
            if name.endswith("mask_token") or name.endswith("cls_token"):
                nn.init.trunc_normal_(p, std=0.02)
    return simmim, {"encoder." + n for n in skip}


def param_groups(model, skip, weight_decay):
    """The reference's two pretraining groups (spec §4.5): no decay for 1-D tensors, biases and the skip list."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if p.ndim == 1 or name.endswith(".bias") or name in skip else decay).append(p)
    return [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]


def masks(cfg, patch, batch, rng):
    """SimMIM's MaskGenerator (spec §1): ceil(ratio·blocks) random mask patches, upsampled to the token grid."""
    d = cfg["DATA"]
    rand_size, scale = d["IMG_SIZE"] // d["MASK_PATCH_SIZE"], d["MASK_PATCH_SIZE"] // patch
    count = int(math.ceil(rand_size * rand_size * d["MASK_RATIO"]))
    out = np.zeros((batch, rand_size * scale, rand_size * scale), dtype=np.int64)
    for i in range(batch):
        m = np.zeros(rand_size * rand_size, dtype=np.int64)
        m[rng.permutation(rand_size * rand_size)[:count]] = 1
        out[i] = m.reshape(rand_size, rand_size).repeat(scale, 0).repeat(scale, 1)
    return torch.from_numpy(out)


def blas_library():
    """Which BLAS this process loaded, from its memory map (after a matmul has run)."""
    with open("/proc/self/maps") as f:
        maps = f.read()
    for name in ("openblas", "blis", "mkl_rt", "libblas.so"):
        if name in maps:
            return {"libblas.so": "netlib"}.get(name, name)
    return "unknown"


def physical_cores():
    cores = set()
    package = "0"
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "physical id":
                package = value
            elif key == "core id":
                cores.add((package, value))
    return len(cores) or os.cpu_count()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cfg", required=True, help="a SimMIM.NET / reference YAML config")
    parser.add_argument("--batch-size", type=int, help="overrides DATA.BATCH_SIZE")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps and inference forwards")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before each timed phase")
    parser.add_argument("--threads", type=int, help="torch threads (default: physical cores)")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                        help="bf16 = torch.autocast('cpu', torch.bfloat16) around the forward")
    args = parser.parse_args()

    cfg = load_config(args.cfg)
    batch = args.batch_size or cfg["DATA"]["BATCH_SIZE"]
    threads = args.threads or physical_cores()
    torch.set_num_threads(threads)
    torch.manual_seed(cfg["SEED"])
    model, skip = build_model(cfg)
    train = cfg["TRAIN"]
    lr = train["BASE_LR"] * batch / 512.0   # the linear scaling rule (spec §4.3)
    optimizer = torch.optim.AdamW(param_groups(model, skip, train["WEIGHT_DECAY"]), lr=lr,
                                  betas=tuple(train["OPTIMIZER"]["BETAS"]), eps=train["OPTIMIZER"]["EPS"],
                                  weight_decay=train["WEIGHT_DECAY"])
    params = [p for p in model.parameters() if p.requires_grad]
    clip = train["CLIP_GRAD"] if train["CLIP_GRAD"] and train["CLIP_GRAD"] > 0 else float("inf")

    size = cfg["DATA"]["IMG_SIZE"]
    images = torch.randn(batch, 3, size, size)
    mask = masks(cfg, model.encoder.patch_size, batch, np.random.default_rng(cfg["SEED"]))
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.precision == "bf16" else None
    if autocast is not None:
        # PyTorch 1.13's CPU autocast leaves layer_norm out of its fp32 list and then fails on a bf16 input with fp32
        # weights (Swin's patch norm after the bf16 conv); cast LayerNorm inputs to fp32, as SimMIM.NET's autocast does.
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.register_forward_pre_hook(lambda _, inputs: (inputs[0].float(),))

    def forward():
        if autocast is None:
            return model(images, mask)[0]
        with autocast():
            return model(images, mask)[0].float()

    model.train()
    losses, forward_ms, backward_ms, optimizer_ms = [], 0.0, 0.0, 0.0
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        loss = forward()
        losses.append(loss.item())
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        optimizer.zero_grad()
        t3 = time.perf_counter()
        if i >= args.warmup:
            forward_ms += (t1 - t0) * 1e3
            backward_ms += (t2 - t1) * 1e3
            optimizer_ms += (t3 - t2) * 1e3
    forward_ms, backward_ms, optimizer_ms = (x / args.steps for x in (forward_ms, backward_ms, optimizer_ms))
    step_ms = forward_ms + backward_ms + optimizer_ms

    model.eval()
    with torch.no_grad():
        for i in range(args.warmup + args.steps):
            if i == args.warmup:
                t0 = time.perf_counter()
            forward().item()
        inference_ms = (time.perf_counter() - t0) * 1e3 / args.steps

    print(json.dumps({
        "impl": "pytorch", "torch_version": torch.__version__, "blas": blas_library(),
        "config": args.cfg, "model_type": cfg["MODEL"]["TYPE"], "img_size": size, "batch_size": batch,
        "parameters": sum(p.numel() for p in params), "threads": threads, "precision": args.precision,
        "warmup_steps": args.warmup, "steps": args.steps,
        "train_images_per_sec": batch / (step_ms / 1e3), "train_step_ms": step_ms, "forward_ms": forward_ms,
        "backward_ms": backward_ms, "optimizer_ms": optimizer_ms, "first_loss": losses[0], "last_loss": losses[-1],
        "inference_images_per_sec": batch / (inference_ms / 1e3),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
