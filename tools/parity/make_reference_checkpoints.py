"""Writes checkpoints shaped like the ones microsoft/SimMIM's own scripts write, for the C# interop tests
(tests/SimMim.Tests/Interop/ReferenceCheckpointTests.cs and friends).

usage: /usr/bin/python3 tools/parity/make_reference_checkpoints.py OUTDIR

main_simmim.py and main_finetune.py save (spec §6.1)
    {'model': state_dict, 'optimizer': AdamW.state_dict(), 'lr_scheduler': timm Scheduler.__dict__ minus optimizer,
     'max_accuracy': float, 'epoch': int, 'config': yacs CfgNode, 'amp': apex state (when AMP_OPT_LEVEL != O0)}
with torch.save. The config is a pickled *object*: a dict subclass from module yacs.config, pickled by NEWOBJ
(protocol >= 2) or REDUCE of copyreg._reconstructor (protocol < 2), its keys by SETITEMS, its own flags (__dict__)
by BUILD, nested nodes, lists such as BASE [''] whose strings are memoised, floats, tuples and None. yacs is not
installed here, so a stand-in class is registered as yacs.config.CfgNode: the pickle records the same global.

Cases (the models are tools/parity/simmim_reference.py at the sizes of our tiny configs, see "cli" below):
  pretrain_vit   SimMIM ViT, two AdamW steps, epoch 4, max_accuracy 0.0
  pretrain_swin  SimMIM Swin, two AdamW steps, epoch 1, max_accuracy 0.0
  finetune_vit   fine-tune ViT classifier (layer-decay groups), two AdamW steps, epoch 2, max_accuracy 37.5
Each case is written in several encodings (zip / legacy, pickle protocol 1, 2 and 4) and as <case>.expected.pth, a
plain dict of tensors ('model.<key>', 'exp_avg.<param>', 'exp_avg_sq.<param>') the tests read with another reader.
manifest.json lists files and cases. Every file is loaded back with torch.load (stand-in present) and its pickle
is checked for the opcodes that make it reference-shaped.
"""
import collections
import io
import json
import math
import os
import pickletools
import sys
import types
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import VIT, SWIN, perturb  # noqa: E402
from simmim_reference import build_encoder, SimMim  # noqa: E402


# ---- the yacs stand-in --------------------------------------------------------------------------------------------

class CfgNode(dict):
    """Behaves as yacs.config.CfgNode does where pickling can see it: a dict subclass whose attributes read its
    keys, nested dicts become nodes, and four flags live in the instance __dict__."""

    def __init__(self, init_dict=None, new_allowed=False):
        init_dict = {} if init_dict is None else init_dict
        super().__init__({k: CfgNode(v) if isinstance(v, dict) else v for k, v in init_dict.items()})
        self.__dict__["__immutable__"] = False
        self.__dict__["__deprecated_keys__"] = set()
        self.__dict__["__renamed_keys__"] = {}
        self.__dict__["__new_allowed__"] = new_allowed

    def __getattr__(self, name):
        if name in self:
            return self[name]
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if self.__dict__["__immutable__"]:
            raise AttributeError(f"attempted to set {name} on a frozen CfgNode")
        self[name] = value

    def freeze(self):
        """main_*.py freeze the config before saving it: the flag is part of the pickled __dict__."""
        self.__dict__["__immutable__"] = True
        for value in self.values():
            if isinstance(value, CfgNode):
                value.freeze()


def install_yacs_stand_in():
    """Registers CfgNode as yacs.config.CfgNode, so pickle writes (and torch.load finds) that global."""
    yacs = types.ModuleType("yacs")
    config = types.ModuleType("yacs.config")
    CfgNode.__module__ = "yacs.config"
    CfgNode.__qualname__ = "CfgNode"
    config.CfgNode = CfgNode
    yacs.config = config
    sys.modules["yacs"] = yacs
    sys.modules["yacs.config"] = config


# ---- what the reference's scripts would have built ---------------------------------------------------------------

# The tiny models, sized like our configs after the CLI overrides in "cli" (the C# tests run exactly these).
VIT_PRETRAIN = dict(VIT, ImgSize=32, PatchSize=8, EmbedDim=32, Depth=2, NumHeads=2, UseApe=True, UseRpb=False,
                    UseSharedRpb=True, UseMeanPooling=False, NumClasses=0)
VIT_FINETUNE = dict(VIT_PRETRAIN, UseRpb=True, UseSharedRpb=False, UseMeanPooling=True, NumClasses=10)
SWIN_PRETRAIN = dict(SWIN, ImgSize=32, PatchSize=4, EmbedDim=16, Depths=[2, 2], NumHeads=[2, 4], WindowSize=4,
                     NumClasses=0)
VIT_OPTS = ["MODEL.VIT.PATCH_SIZE", "8", "MODEL.VIT.EMBED_DIM", "32", "MODEL.VIT.DEPTH", "2", "MODEL.VIT.NUM_HEADS", "2"]
SWIN_OPTS = ["MODEL.SWIN.PATCH_SIZE", "4", "MODEL.SWIN.EMBED_DIM", "16", "MODEL.SWIN.DEPTHS", "[2,2]",
             "MODEL.SWIN.NUM_HEADS", "[2,4]", "MODEL.SWIN.WINDOW_SIZE", "4"]

BATCH = 2
STEPS = 2
BASE_LR, WARMUP_LR, MIN_LR, WEIGHT_DECAY = 1e-3, 1e-6, 1e-5, 0.05
EPOCHS, WARMUP_EPOCHS, STEPS_PER_EPOCH = 10, 1, 4

CASES = [
    # name, stage, model type, model config, epoch, max_accuracy, our config file, --opts for it
    ("pretrain_vit", "pretrain", "vit", VIT_PRETRAIN, 4, 0.0, "configs/fashion_mnist_vit_tiny.yaml", VIT_OPTS),
    ("pretrain_swin", "pretrain", "swin", SWIN_PRETRAIN, 1, 0.0, "configs/fashion_mnist_swin_tiny.yaml", SWIN_OPTS),
    ("finetune_vit", "finetune", "vit", VIT_FINETUNE, 2, 37.5, "configs/fashion_mnist_finetune_vit_tiny.yaml",
     VIT_OPTS),
]

# How each case is written: (suffix, zip format, pickle protocol). torch.save's defaults are zip + protocol 2.
ENCODINGS = {
    "pretrain_vit": [("", True, 2), ("_p4", True, 4), ("_p1", True, 1)],
    "pretrain_swin": [("", True, 4), ("_legacy", False, 2)],
    "finetune_vit": [("", True, 2), ("_p4", True, 4), ("_legacy_p1", False, 1)],
}


def reference_config(stage, kind, model, name):
    """The reference's yacs tree (config.py's keys and defaults) as the run would have left it, frozen."""
    empty = ""   # BASE [''], MODEL.RESUME and PRETRAINED share this object: the pickler memoises it once
    # The other family's section keeps config.py's defaults, as in the reference's tree.
    vit = model if kind == "vit" else dict(PatchSize=16, EmbedDim=768, Depth=12, NumHeads=12, UseApe=False,
                                            UseRpb=False, UseSharedRpb=True, UseMeanPooling=False)
    swin = model if kind == "swin" else dict(PatchSize=4, EmbedDim=96, Depths=[2, 2, 6, 2], NumHeads=[3, 6, 12, 24],
                                              WindowSize=7)
    vit_keys = dict(PATCH_SIZE=vit["PatchSize"], IN_CHANS=3, EMBED_DIM=vit["EmbedDim"], DEPTH=vit["Depth"],
                    NUM_HEADS=vit["NumHeads"], MLP_RATIO=4, QKV_BIAS=True, INIT_VALUES=0.1, USE_APE=vit["UseApe"],
                    USE_RPB=vit["UseRpb"], USE_SHARED_RPB=vit["UseSharedRpb"], USE_MEAN_POOLING=vit["UseMeanPooling"])
    swin_keys = dict(PATCH_SIZE=swin["PatchSize"], IN_CHANS=3, EMBED_DIM=swin["EmbedDim"], DEPTHS=list(swin["Depths"]),
                     NUM_HEADS=list(swin["NumHeads"]), WINDOW_SIZE=swin["WindowSize"], MLP_RATIO=4.0, QKV_BIAS=True,
                     QK_SCALE=None, APE=False, PATCH_NORM=True)
    tag = "tiny"
    node = CfgNode({
        "BASE": [empty],
        "DATA": dict(BATCH_SIZE=BATCH, DATA_PATH="builtin", DATASET="imagenet", IMG_SIZE=model["ImgSize"],
                     INTERPOLATION="bicubic", PIN_MEMORY=True, NUM_WORKERS=8, MASK_PATCH_SIZE=8, MASK_RATIO=0.6),
        "MODEL": dict(TYPE=kind, NAME=name, RESUME=empty, NUM_CLASSES=model["NumClasses"] or 1000, DROP_RATE=0.0,
                      DROP_PATH_RATE=0.1, LABEL_SMOOTHING=0.1, SWIN=swin_keys, VIT=vit_keys),
        "TRAIN": dict(START_EPOCH=0, EPOCHS=EPOCHS, WARMUP_EPOCHS=WARMUP_EPOCHS, WEIGHT_DECAY=WEIGHT_DECAY,
                      BASE_LR=BASE_LR, WARMUP_LR=WARMUP_LR, MIN_LR=MIN_LR, CLIP_GRAD=5.0, AUTO_RESUME=True,
                      ACCUMULATION_STEPS=0, USE_CHECKPOINT=False,
                      LR_SCHEDULER=dict(NAME="cosine", DECAY_EPOCHS=30, DECAY_RATE=0.1, GAMMA=0.1, MULTISTEPS=[]),
                      OPTIMIZER=dict(NAME="adamw", EPS=1e-8, BETAS=(0.9, 0.999), MOMENTUM=0.9),
                      LAYER_DECAY=0.75 if stage == "finetune" else 1.0),
        "AUG": dict(COLOR_JITTER=0.4, AUTO_AUGMENT="rand-m9-mstd0.5-inc1", REPROB=0.25, REMODE="pixel", RECOUNT=1,
                    MIXUP=0.8, CUTMIX=1.0, CUTMIX_MINMAX=None, MIXUP_PROB=1.0, MIXUP_SWITCH_PROB=0.5,
                    MIXUP_MODE="batch"),
        "TEST": dict(CROP=True),
        "AMP_OPT_LEVEL": "O1",
        "OUTPUT": os.path.join("output", name, tag),
        "TAG": tag,
        "SAVE_FREQ": 5,
        "PRINT_FREQ": 100,
        "SEED": 0,
        "EVAL_MODE": False,
        "THROUGHPUT_MODE": False,
        "LOCAL_RANK": 0,
        "PRETRAINED": empty if stage == "pretrain" else os.path.join("output", "simmim_pretrain", tag, "ckpt_epoch_99.pth"),
    })
    node.freeze()
    return node


def no_decay(name, param, skip, keywords):
    """optimizer.py's rule: 1-D, a bias, named in the skip list, or containing a skip keyword."""
    return param.ndim == 1 or name.endswith(".bias") or name in skip or any(k in name for k in keywords)


def pretrain_groups(model, kind):
    """get_pretrain_param_groups: [decay, no_decay]; SimMIM prefixes the encoder's skip names with 'encoder.'."""
    skip, keywords = (({"pos_embed", "cls_token"}, set()) if kind == "vit"
                      else ({"absolute_pos_embed", "mask_token"}, {"relative_position_bias_table"}))
    skip = {"encoder." + s for s in skip}
    keywords = {"encoder." + k for k in keywords}
    decay, rest, names = [], [], ([], [])
    for name, param in model.named_parameters():
        if no_decay(name, param, skip, keywords):
            rest.append(param)
            names[1].append(name)
        else:
            decay.append(param)
            names[0].append(name)
    return [{"params": decay}, {"params": rest, "weight_decay": 0.0}], names[0] + names[1]


def vit_finetune_groups(model, depth, layer_decay):
    """get_finetune_param_groups with get_vit_layer: groups 'layer_<id>_<decay|no_decay>' in order of first use."""
    num_layers = depth + 2
    scales = [layer_decay ** i for i in reversed(range(num_layers))]

    def layer_of(name):
        if name in ("cls_token", "mask_token", "pos_embed") or name.startswith("patch_embed"):
            return 0
        if name.startswith("blocks"):
            return int(name.split(".")[1]) + 1
        return num_layers - 1

    groups, names = {}, {}
    for name, param in model.named_parameters():
        flat = no_decay(name, param, {"pos_embed", "cls_token"}, set())
        layer = layer_of(name)
        key = f"layer_{layer}_{'no_decay' if flat else 'decay'}"
        if key not in groups:
            groups[key] = {"group_name": key, "weight_decay": 0.0 if flat else WEIGHT_DECAY, "params": [],
                           "lr": BASE_LR * scales[layer], "lr_scale": scales[layer]}
            names[key] = []
        groups[key]["params"].append(param)
        names[key].append(name)
    return list(groups.values()), [n for key in groups for n in names[key]]


class CosineSchedule:
    """What timm's CosineLRScheduler (as build_scheduler configures it, t_in_epochs=False) keeps in __dict__; its
    state_dict() is that dict without the optimizer. step_update(k) sets every group's lr for the next step."""

    def __init__(self, optimizer, t_initial, lr_min, warmup_lr_init, warmup_t):
        self.optimizer = optimizer
        self.param_group_field = "lr"
        self._initial_param_group_field = "initial_lr"
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_values = [group["initial_lr"] for group in optimizer.param_groups]
        self.metric = None
        self.noise_range_t = None
        self.noise_pct = 0.67
        self.noise_type = "normal"
        self.noise_std = 1.0
        self.noise_seed = 42
        self.t_initial = t_initial
        self.t_mul = 1.0
        self.lr_min = lr_min
        self.decay_rate = 1.0
        self.cycle_limit = 1
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.warmup_prefix = False
        self.t_in_epochs = False
        self.warmup_steps = [(v - warmup_lr_init) / warmup_t for v in self.base_values]
        for group in optimizer.param_groups:
            group["lr"] = warmup_lr_init

    def lrs(self, t):
        if t < self.warmup_t:
            return [self.warmup_lr_init + t * s for s in self.warmup_steps]
        return [self.lr_min + 0.5 * (v - self.lr_min) * (1 + math.cos(math.pi * t / self.t_initial))
                for v in self.base_values]

    def step_update(self, num_updates):
        for group, lr in zip(self.optimizer.param_groups, self.lrs(num_updates)):
            group["lr"] = lr

    def state_dict(self):
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}


def train_case(stage, kind, config, seed):
    """Builds the model, overwrites its weights with random values and takes STEPS AdamW steps as the reference's
    loop does (optimizer.step, then lr_scheduler.step_update). Returns (model, optimizer, scheduler, param names in
    optimizer order)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    encoder = build_encoder(kind, config, for_simmim=stage == "pretrain")
    model = SimMim(encoder) if stage == "pretrain" else encoder
    perturb(model, gen)
    model.train()
    if stage == "pretrain":
        groups, names = pretrain_groups(model, kind)
    else:
        groups, names = vit_finetune_groups(model, config["Depth"], 0.75)
    optimizer = torch.optim.AdamW(groups, eps=1e-8, betas=(0.9, 0.999), lr=BASE_LR, weight_decay=WEIGHT_DECAY)
    schedule = CosineSchedule(optimizer, EPOCHS * STEPS_PER_EPOCH, MIN_LR, WARMUP_LR, WARMUP_EPOCHS * STEPS_PER_EPOCH)
    side = config["ImgSize"] // config["PatchSize"]
    for step in range(STEPS):
        image = torch.randn(BATCH, 3, config["ImgSize"], config["ImgSize"], generator=gen)
        optimizer.zero_grad()
        if stage == "pretrain":
            mask = (torch.rand(BATCH, side, side, generator=gen) < 0.6).long()
            loss, _ = model(image, mask)
        else:
            labels = torch.randint(0, config["NumClasses"], (BATCH,), generator=gen)
            loss = torch.nn.functional.cross_entropy(model.classify(image), labels)
        loss.backward()
        optimizer.step()
        schedule.step_update(step)
    return model, optimizer, schedule, names


def checkpoint_of(stage, kind, config, epoch, max_accuracy, name, seed):
    model, optimizer, schedule, names = train_case(stage, kind, config, seed)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "lr_scheduler": schedule.state_dict(),
        "max_accuracy": max_accuracy,
        "epoch": epoch,
        "config": reference_config(stage, kind, config, "simmim_" + stage),
        # apex amp.state_dict(): one loss scaler per loss, an OrderedDict of dicts.
        "amp": collections.OrderedDict(loss_scaler0={"loss_scale": 65536.0, "unskipped": 0}),
    }
    params = dict(model.named_parameters())
    expected = {f"model.{k}": v.detach().clone().contiguous() for k, v in state["model"].items()}
    for name_ in names:
        s = optimizer.state[params[name_]]
        expected[f"exp_avg.{name_}"] = s["exp_avg"].clone()
        expected[f"exp_avg_sq.{name_}"] = s["exp_avg_sq"].clone()
    return state, expected, names


# ---- checks -------------------------------------------------------------------------------------------------------

def pickle_bytes(path, zip_format):
    """The object pickle of a torch.save file: data.pkl of the zip, or the fourth pickle of the legacy stream."""
    if zip_format:
        with zipfile.ZipFile(path) as z:
            return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    with open(path, "rb") as f:
        data = f.read()
    stream = io.BytesIO(data)
    for _ in range(3):
        for _op, _arg, _pos in pickletools.genops(stream):
            pass
    start = stream.tell()
    for _op, _arg, _pos in pickletools.genops(stream):
        pass
    return data[start:stream.tell()]


def check_shape(path, zip_format, protocol):
    """Fails unless the file's pickle builds the config as the reference's does and loads back with torch.load."""
    data = pickle_bytes(path, zip_format)
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(data)]
    names = [n for n, _ in ops]
    config_global = b"yacs.config" in data and b"CfgNode" in data
    need = {"BUILD", "SETITEMS", "APPEND", "APPENDS", "NEWOBJ" if protocol >= 2 else "REDUCE"}
    missing = need - set(names)
    assert config_global, f"{path}: the pickle does not name yacs.config.CfgNode"
    assert not missing, f"{path}: expected opcodes {sorted(missing)} are not in the pickle"
    if protocol < 2:
        assert any(a in ("copy_reg _reconstructor", "copyreg _reconstructor") for _, a in ops), path
    # A one-item list of a memoised string: EMPTY_LIST, put, (LONG_)BINGET, APPEND (BASE: ['']).
    assert any(names[i] == "APPEND" and names[i - 1].endswith("BINGET") for i in range(1, len(names))), \
        f"{path}: no APPEND of a memoised string"
    loaded = torch.load(path)
    cfg = loaded["config"]
    assert type(cfg) is CfgNode and cfg.BASE == [""] and cfg.TRAIN.OPTIMIZER.BETAS == (0.9, 0.999), path
    assert cfg.__dict__["__immutable__"] is True and cfg.AUG.CUTMIX_MINMAX is None, path
    return loaded


def main(outdir):
    install_yacs_stand_in()
    os.makedirs(outdir, exist_ok=True)
    manifest = {"torch": torch.__version__, "steps": STEPS, "cases": [], "files": []}
    for index, (name, stage, kind, config, epoch, accuracy, cfg_file, opts) in enumerate(CASES):
        state, expected, names = checkpoint_of(stage, kind, config, epoch, accuracy, name, 7000 + 10 * index)
        torch.save(expected, os.path.join(outdir, f"{name}.expected.pth"))
        manifest["cases"].append({
            "name": name, "stage": stage, "type": kind, "config": config, "epoch": epoch, "max_accuracy": accuracy,
            "cli": {"cfg": cfg_file, "opts": opts}, "keys": list(state["model"].keys()), "parameters": names,
            "groups": len(state["optimizer"]["param_groups"]),
        })
        for suffix, zip_format, protocol in ENCODINGS[name]:
            file = f"{name}{suffix}.pth"
            path = os.path.join(outdir, file)
            torch.save(state, path, pickle_protocol=protocol, _use_new_zipfile_serialization=zip_format)
            loaded = check_shape(path, zip_format, protocol)
            assert loaded["epoch"] == epoch and loaded["lr_scheduler"] == state["lr_scheduler"], path
            assert all(torch.equal(loaded["model"][k], v) for k, v in state["model"].items()), path
            manifest["files"].append({"file": file, "case": name, "zip": zip_format, "protocol": protocol})
            print(f"{file}: {stage} {kind}, {len(state['model'])} weights, "
                  f"{len(state['optimizer']['param_groups'])} param groups, epoch {epoch}, protocol {protocol}, "
                  f"{'zip' if zip_format else 'legacy'}")
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_reference_checkpoints.py OUTDIR")
    main(sys.argv[1])
