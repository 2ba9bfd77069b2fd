"""How fast does the reference's tiny-ViT recipe start learning, in plain PyTorch?

Trains the independent PyTorch ViT of tools/parity (the fine-tune classifier of configs/fashion_mnist_finetune_vit_tiny.yaml:
32 px, patch 4, 128 wide, 6 blocks, per-block relative position bias, mean pooling) on Fashion-MNIST for STEPS steps
(AdamW lr 1e-3, wd 0.05, batch 128, no augmentation, one thread) and prints the loss every 25 steps and the top-1 on
2000 held-out training images (the last 2000, never trained on; the test set is not looked at). `--init plain` draws every matrix (relative position tables included) from N(0, 0.02);
`--init reference` then applies the reference's init on top: relative position tables zero, head x 0.001, residual
projections / sqrt(2 * layer). Without absolute position embeddings and with zero tables the model starts blind to
position, which is what makes the reference recipe slow on a small budget (docs/RESULTS.md). `--ape` adds the
learned absolute position embedding (USE_APE: True, drawn from N(0, 0.02) like the reference's trunc_normal_).
Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 experiments/vit_init_check.py --init reference --steps 150
"""
import argparse
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "parity"))
from simmim_reference import VitForSimMim  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist/"
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def idx(name, offset):
    return np.frombuffer(gzip.open(DATA + name).read(), np.uint8, offset=offset)


def prepare(images):
    x = torch.from_numpy(images.copy()).float() / 255
    x = F.interpolate(x, size=32, mode="bilinear", align_corners=False)
    return (x.repeat(1, 3, 1, 1) - MEAN) / STD


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--init", choices=["plain", "reference"], default="reference")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--ape", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    train_x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 1, 28, 28)
    train_y = idx("train-labels-idx1-ubyte.gz", 8)
    held_x, held_y = train_x[-2000:], train_y[-2000:]
    model = VitForSimMim(32, 4, 3, 128, 6, 4, use_ape=args.ape, use_rpb=True, use_shared_rpb=False, use_mean_pooling=True,
                         num_classes=10, for_simmim=False)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                torch.nn.init.trunc_normal_(p, std=0.02)
            elif name.endswith("bias"):
                p.zero_()
        if args.init == "reference":
            model.head.weight.mul_(0.001)
            for layer, block in enumerate(model.blocks, start=1):
                for name, p in block.named_parameters():
                    if "relative_position_bias_table" in name:
                        p.zero_()
                    if name.endswith("attn.proj.weight") or name.endswith("mlp.fc2.weight"):
                        p.div_((2.0 * layer) ** 0.5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    order = torch.randperm(len(train_y) - 2000)
    for step in range(args.steps):
        batch = order[step * 128:(step + 1) * 128].numpy()
        loss = F.cross_entropy(model.classify(prepare(train_x[batch])), torch.from_numpy(train_y[batch].astype(np.int64)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 0 or step == args.steps - 1:
            print(f"step {step}: loss {loss.item():.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        top1 = (model.classify(prepare(held_x)).argmax(1).numpy() == held_y).mean()
    ape = "with" if args.ape else "without"
    print(f"init {args.init}, {ape} APE, {args.steps} steps: top-1 {100 * top1:.2f} % on 2000 held-out training images")


if __name__ == "__main__":
    main()
