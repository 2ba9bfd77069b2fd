"""Writes the parity fixtures the C# tests (tests/SimMim.Tests/Parity) compare against.

usage: /usr/bin/python3 tools/parity/make_fixtures.py OUTDIR

For each case: <case>.weights.pth (state dict, float32), <case>.io.pth ({'image', 'mask', 'loss',
'reconstruction'}) and <case>.grads.pth ({parameter name: grad}), plus cases.json with every case's
hyper-parameters (named as the C# VitConfig / SwinConfig properties) and the state-dict keys in PyTorch's order.
Weights and inputs are float32; the reference forward/backward runs in float64 on those exact values, so the
saved outputs are the exact answer up to float64 rounding and the C# float32 result is compared to the truth.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simmim_reference import build  # noqa: E402

VIT = dict(ImgSize=16, PatchSize=4, InChans=3, EmbedDim=32, Depth=2, NumHeads=2, MlpRatio=4.0, QkvBias=True,
           InitValues=0.1, UseApe=False, UseRpb=False, UseSharedRpb=True, UseMeanPooling=False, DropPathRate=0.0,
           LayerNormEps=1e-6, NumClasses=0)
SWIN = dict(ImgSize=32, PatchSize=4, InChans=3, EmbedDim=16, Depths=[2, 2], NumHeads=[2, 4], WindowSize=4,
            MlpRatio=4.0, QkvBias=True, QkScale=None, Ape=False, PatchNorm=True, DropPathRate=0.0, NumClasses=0)

CASES = [
    # Pretraining default: one shared relative position bias, layer scale.
    ("vit_shared_rpb", "vit", {}),
    # Fine-tune-style tables: per-block rel-pos bias, no shared one; also no layer scale and no q/v bias.
    ("vit_block_rpb", "vit", dict(UseRpb=True, UseSharedRpb=False, InitValues=None, QkvBias=False, MlpRatio=2.0)),
    # Absolute position embedding together with the shared bias, 6x6 grid, 4 heads.
    ("vit_ape_shared_rpb", "vit", dict(UseApe=True, ImgSize=24, NumHeads=4)),
    # Stages 16/8/4/2 with window 4: shifted windows in stages 0-1 (attn_mask), shift dropped at 4, window
    # clipped to 2 in the last stage (3x3 table), three patch mergings; encoder stride 16.
    ("swin_clipped", "swin", dict(PatchSize=2, Depths=[2, 2, 2, 2], NumHeads=[1, 2, 2, 4])),
    # Absolute position embedding and an explicit qk_scale; stages 8 (shifted) / 4.
    ("swin_ape", "swin", dict(Ape=True, QkScale=0.3)),
]

MASK_RATIO = 0.6
BATCH = 2


def perturb(model, gen):
    """Overwrites every parameter with non-trivial values so no term (bias, gamma, table, token) can hide."""
    norms = {f"{m}.weight" for m, mod in model.named_modules() if isinstance(mod, torch.nn.LayerNorm)}
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            r = torch.randn(p.shape, generator=gen)
            if name in norms:
                v = 1.0 + 0.2 * r                       # LayerNorm scale
            elif leaf.startswith("gamma_"):
                v = 0.5 + 0.2 * r                       # layer scale, far from its 0.1 init
            elif leaf == "relative_position_bias_table":
                v = 0.5 * r
            elif leaf in ("mask_token", "cls_token", "pos_embed", "absolute_pos_embed"):
                v = 0.5 * r
            elif leaf == "weight":
                v = r / math.sqrt(p[0].numel())         # Linear / Conv: unit-scale activations
            else:
                v = 0.1 * r + 0.02                      # biases, q_bias, v_bias
            p.copy_(v)


def make_mask(side, gen):
    """(B, side, side) int64 with ceil(ratio * side^2) masked patches per image."""
    n = side * side
    k = math.ceil(MASK_RATIO * n)
    mask = torch.zeros(BATCH, n, dtype=torch.long)
    for b in range(BATCH):
        mask[b, torch.randperm(n, generator=gen)[:k]] = 1
    return mask.reshape(BATCH, side, side)


def run(model, image, mask):
    model.zero_grad(set_to_none=True)
    loss, rec = model(image, mask)
    loss.backward()
    grads = plain({n: p.grad for n, p in model.named_parameters()})
    return loss.detach(), rec.detach(), grads


def plain(tensors):
    """Detached, contiguous copies: PyBridge reads only contiguous storages."""
    return {k: v.detach().contiguous().clone() for k, v in tensors.items()}


def max_rel(a, b):
    return (a - b).abs().max().item() / max(b.abs().max().item(), 1e-30)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    manifest = []
    for index, (name, kind, overrides) in enumerate(CASES):
        config = dict(VIT if kind == "vit" else SWIN, **overrides)
        case = {"name": name, "type": kind, "config": config}
        torch.manual_seed(1000 + index)
        gen = torch.Generator().manual_seed(2000 + index)
        model = build(case).eval()
        perturb(model, gen)
        side = config["ImgSize"] // config["PatchSize"]
        image = torch.randn(BATCH, config["InChans"], config["ImgSize"], config["ImgSize"], generator=gen)
        mask = make_mask(side, gen)

        state = plain(model.state_dict())
        torch.save(state, os.path.join(outdir, f"{name}.weights.pth"))

        # Float32 run only to report the float32 noise floor next to the float64 truth.
        loss32, rec32, grads32 = run(model, image, mask)
        model.double()
        loss, rec, grads = run(model, image.double(), mask)
        torch.save(plain({"image": image, "mask": mask, "loss": loss, "reconstruction": rec}),
                   os.path.join(outdir, f"{name}.io.pth"))
        torch.save(grads, os.path.join(outdir, f"{name}.grads.pth"))

        case["keys"] = list(state.keys())
        case["parameters"] = [n for n, _ in model.named_parameters()]
        manifest.append(case)
        worst_grad = max(max_rel(grads32[n].double(), grads[n]) for n in grads)
        print(f"{name}: loss {loss.item():.6f}, {len(state)} keys; torch float32 vs float64: loss rel "
              f"{abs(loss32.item() - loss.item()) / loss.item():.1e}, rec abs {(rec32.double() - rec).abs().max():.1e}, "
              f"grad rel {worst_grad:.1e}")
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "batch": BATCH, "mask_ratio": MASK_RATIO, "cases": manifest}, f,
                  indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_fixtures.py OUTDIR")
    main(sys.argv[1])
