"""The reverse parity direction: weights written by SimMIM.NET load into the PyTorch reference strictly and
reproduce SimMIM.NET's loss and reconstruction. Run by tests/SimMim.Tests/Parity/PythonLoadTests.cs.

usage: /usr/bin/python3 tools/parity/check_load.py CASES_JSON (CASE WEIGHTS IO)...
  WEIGHTS  a plain state dict (PyBridge save_py) or a training checkpoint with a 'model' entry
  IO       {'image', 'mask', 'loss', 'reconstruction'} as computed by SimMIM.NET (float32)
Prints one line per case; exit status 0 only when every case matches.
"""
import json
import os
import sys

try:
    import torch
except ImportError as e:
    sys.exit(f"check_load.py: PyTorch is not importable by {sys.executable} ({e}); install Debian's python3-torch")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simmim_reference import build  # noqa: E402

LOSS_REL_TOL = 1e-6
RECONSTRUCTION_ABS_TOL = 1e-5


def check(case, weights_path, io_path):
    """Returns a list of problems (empty = the case matches) and a summary line."""
    problems = []
    saved = torch.load(weights_path, map_location="cpu")
    state = saved["model"] if "model" in saved and isinstance(saved["model"], dict) else saved
    model = build(case).eval()
    expected_keys = list(model.state_dict().keys())
    if list(state.keys()) != expected_keys:
        if set(state.keys()) == set(expected_keys):
            problems.append("keys match but their order differs from PyTorch's")
        # A mismatch in the key set is reported by the strict load below.
    # Buffers SimMIM.NET computed from geometry must equal the ones built here before they are overwritten.
    params = {n for n, _ in model.named_parameters()}
    for key, ours in model.state_dict().items():
        if key not in params and key in state and not torch.equal(ours, state[key]):
            problems.append(f"buffer {key} differs from the reference's")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        return [f"strict load failed: {e}"], "not loaded"
    io = torch.load(io_path, map_location="cpu")
    model.double()
    with torch.no_grad():
        loss, rec = model(io["image"].double(), io["mask"])
    loss_rel = abs(io["loss"].item() - loss.item()) / abs(loss.item())
    rec_abs = (io["reconstruction"].double() - rec).abs().max().item()
    if not loss_rel <= LOSS_REL_TOL:
        problems.append(f"loss {io['loss'].item()} vs reference {loss.item()} (rel {loss_rel:.1e})")
    if not rec_abs <= RECONSTRUCTION_ABS_TOL:
        problems.append(f"reconstruction max |diff| {rec_abs:.1e}")
    return problems, f"{len(state)} keys, loss {loss.item():.7f} (rel {loss_rel:.1e}), reconstruction abs {rec_abs:.1e}"


def main(argv):
    if len(argv) < 4 or (len(argv) - 1) % 3 != 0:
        sys.exit(__doc__)
    with open(argv[0]) as f:
        cases = {c["name"]: c for c in json.load(f)["cases"]}
    failed = 0
    for i in range(1, len(argv), 3):
        name, weights, io = argv[i:i + 3]
        problems, summary = check(cases[name], weights, io)
        failed += bool(problems)
        print(f"{name}: {'FAIL' if problems else 'ok'}: {summary}" + "".join(f"\n  {p}" for p in problems))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
