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

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simmim_reference import build, build_encoder  # noqa: E402

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

# Fine-tune classifiers (issue item 6a): the encoder alone (no mask token), logits and cross-entropy on LABELS.
CLASSIFIER_CASES = [
    # The fine-tune ViT: per-block tables, no shared one, mean pooling + fc_norm (final norm Identity), head.
    ("cls_vit_finetune", "vit", dict(UseRpb=True, UseSharedRpb=False, UseMeanPooling=True, NumClasses=5)),
    # ViT without mean pooling: cls token after the final norm, shared table.
    ("cls_vit_cls_token", "vit", dict(NumClasses=5)),
    # Swin: shifted windows in stage 0, clipped window in stage 1; avgpool over the final tokens, head.
    ("cls_swin", "swin", dict(NumClasses=5)),
]
LABELS = [3, 0]

# load_pretrained (issue item 6b): a pretraining checkpoint {'model': SimMIM state dict} of one geometry, loaded
# into a fine-tune encoder of another. (name, type, pretraining overrides, fine-tune overrides)
VIT_FT = dict(UseRpb=True, UseSharedRpb=False, UseMeanPooling=True, NumClasses=5)
REMAP_CASES = [
    # Shared table copied into every block, no resize; norm.* and mask_token unexpected, fc_norm/head missing.
    ("remap_vit_same_grid", "vit", {}, VIT_FT),
    # Grid 4x4 -> 6x6: per-block tables 7^2+3 -> 11^2+3 rows, the 3 cls rows kept.
    ("remap_vit_grid", "vit", {}, dict(VIT_FT, ImgSize=24)),
    # Window 3 -> 6 at image 24 / patch 2: stages 12, 6, 3 -> tables 25 -> 121, 25 -> 121 (clipped), 25 -> 25.
    ("remap_swin_window", "swin", dict(ImgSize=24, PatchSize=2, Depths=[2, 2, 2], NumHeads=[1, 2, 2], WindowSize=3),
     dict(ImgSize=24, PatchSize=2, Depths=[2, 2, 2], NumHeads=[1, 2, 2], WindowSize=6, NumClasses=5)),
    # Image 24 / window 3 -> image 32 / window 4: every table 25 -> 49, new shift masks.
    ("remap_swin_img", "swin", dict(ImgSize=24, PatchSize=2, Depths=[2, 2, 2], NumHeads=[1, 2, 2], WindowSize=3),
     dict(ImgSize=32, PatchSize=2, Depths=[2, 2, 2], NumHeads=[1, 2, 2], WindowSize=4, NumClasses=5)),
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


def geometric_resize(table, src, dst):
    """The reference's BEiT interpolation of a (src^2, nH) table to (dst^2, nH) (spec §6.3), in float64.

    interp2d(x, y, z, kind='cubic')(dx, dy) is RectBivariateSpline(x, y, z.T, kx=3, ky=3, s=0)(dx, dy).T
    (interp2d is gone from newer scipy; tests/SimMim.Tests/Finetune/RelativePositionInterpolationTests.cs)."""
    from scipy.interpolate import RectBivariateSpline

    def gp(a, r, n):
        return a * (1.0 - r ** n) / (1.0 - r)
    left, right = 1.01, 1.5
    while right - left > 1e-6:
        q = (left + right) / 2.0
        if gp(1, q, src // 2) > dst // 2:
            right = q
        else:
            left = q
    dis, cur = [], 1
    for i in range(src // 2):
        dis.append(cur)
        cur += q ** (i + 1)
    x = [-d for d in reversed(dis)] + [0] + dis
    t = dst // 2.0
    dx = np.arange(-t, t + 0.1, 1.0)
    out = []
    for h in range(table.shape[1]):
        z = table[:, h].double().view(src, src).numpy()
        f = RectBivariateSpline(x, x, z.T, kx=3, ky=3, s=0)
        out.append(torch.from_numpy(np.ascontiguousarray(f(dx, dx).T)).reshape(-1, 1))
    return torch.cat(out, dim=-1)


def load_pretrained(checkpoint, model, kind, depth):
    """The reference's load_pretrained (spec §6.3) with #29 fixed (copy only when the shared table is there).
    Returns the remapped dict, load_state_dict's (missing, unexpected) and the keys resized."""
    ckpt = dict(checkpoint)
    if any("encoder." in k for k in ckpt):
        ckpt = {k.replace("encoder.", ""): v for k, v in ckpt.items() if k.startswith("encoder.")}
    target = model.state_dict()
    resized = []
    if kind == "vit":
        shared = "rel_pos_bias.relative_position_bias_table"
        if model.blocks[0].attn.relative_position_bias_table is not None and shared in ckpt:
            for i in range(depth):
                ckpt[f"blocks.{i}.attn.relative_position_bias_table"] = ckpt[shared].clone()
            ckpt.pop(shared)
        for key in list(ckpt):
            if "relative_position_index" in key:
                ckpt.pop(key)
            elif "relative_position_bias_table" in key:
                table = ckpt[key]
                src_rows, dst_rows = table.shape[0], target[key].shape[0]
                extra = dst_rows - (2 * model.side - 1) ** 2
                src, dst = int((src_rows - extra) ** 0.5), int((dst_rows - extra) ** 0.5)
                if src != dst:
                    grid = geometric_resize(table[:-extra], src, dst)
                    ckpt[key] = torch.cat([grid, table[-extra:].double()], dim=0)
                    resized.append(key)
    else:
        for key in list(ckpt):
            if "relative_position_bias_table" in key:
                (l1, h1), (l2, h2) = ckpt[key].shape, target[key].shape
                if h1 == h2 and l1 != l2:
                    ckpt[key] = geometric_resize(ckpt[key], int(l1 ** 0.5), int(l2 ** 0.5))
                    resized.append(key)
        for key in list(ckpt):
            if any(s in key for s in ("relative_position_index", "relative_coords_table", "attn_mask")):
                ckpt.pop(key)
    # load_state_dict copies into the float32 model; the float64 tables are kept as the exact answer.
    result = model.load_state_dict(ckpt, strict=False)
    return ckpt, list(result.missing_keys), list(result.unexpected_keys), resized


def make_classifier_cases(outdir, first_seed):
    manifest = []
    for index, (name, kind, overrides) in enumerate(CLASSIFIER_CASES):
        config = dict(VIT if kind == "vit" else SWIN, **overrides)
        torch.manual_seed(first_seed + index)
        gen = torch.Generator().manual_seed(first_seed + 1000 + index)
        model = build_encoder(kind, config, for_simmim=False).eval()
        perturb(model, gen)
        image = torch.randn(BATCH, config["InChans"], config["ImgSize"], config["ImgSize"], generator=gen)
        labels = torch.tensor(LABELS, dtype=torch.long)
        state = plain(model.state_dict())
        torch.save(state, os.path.join(outdir, f"{name}.weights.pth"))
        model.double()
        model.zero_grad(set_to_none=True)
        logits = model.classify(image.double())
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        grads = plain({n: p.grad for n, p in model.named_parameters()})
        torch.save(plain({"image": image, "labels": labels, "logits": logits, "loss": loss}),
                   os.path.join(outdir, f"{name}.io.pth"))
        torch.save(grads, os.path.join(outdir, f"{name}.grads.pth"))
        manifest.append({"name": name, "type": kind, "config": config, "keys": list(state.keys()),
                         "parameters": [n for n, _ in model.named_parameters()]})
        print(f"{name}: loss {loss.item():.6f}, logits {tuple(logits.shape)}, {len(state)} keys")
    return manifest


def make_remap_cases(outdir, first_seed):
    manifest = []
    for index, (name, kind, pre_overrides, ft_overrides) in enumerate(REMAP_CASES):
        base = VIT if kind == "vit" else SWIN
        pre_config, ft_config = dict(base, **pre_overrides), dict(base, **ft_overrides)
        torch.manual_seed(first_seed + index)
        gen = torch.Generator().manual_seed(first_seed + 1000 + index)
        pretrained = build({"type": kind, "config": pre_config})
        perturb(pretrained, gen)
        checkpoint = plain(pretrained.state_dict())
        torch.save({"model": checkpoint}, os.path.join(outdir, f"{name}.pretrain.pth"))
        model = build_encoder(kind, ft_config, for_simmim=False)
        depth = ft_config["Depth"] if kind == "vit" else None
        remapped, missing, unexpected, resized = load_pretrained(checkpoint, model, kind, depth)
        target = model.state_dict()
        loaded = [k for k in target if k in remapped]
        torch.save(plain({k: remapped[k] for k in loaded}), os.path.join(outdir, f"{name}.expected.pth"))
        manifest.append({"name": name, "type": kind, "pretrain_config": pre_config, "config": ft_config,
                         "loaded": loaded, "missing": missing, "unexpected": sorted(unexpected),
                         "interpolated": resized})
        print(f"{name}: {len(loaded)} loaded, {len(missing)} missing, {len(unexpected)} unexpected, "
              f"{len(resized)} tables resized")
    return manifest


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
    classifier = make_classifier_cases(outdir, 3000)
    remap = make_remap_cases(outdir, 5000)
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump({"torch": torch.__version__, "batch": BATCH, "mask_ratio": MASK_RATIO, "cases": manifest,
                   "classifier_cases": classifier, "labels": LABELS, "remap_cases": remap}, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_fixtures.py OUTDIR")
    main(sys.argv[1])
