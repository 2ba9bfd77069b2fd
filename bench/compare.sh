#!/usr/bin/env bash
# C# (simmim benchmark) vs PyTorch (bench/pytorch_simmim.py) on the same SimMIM models, batch, threads and steps.
# Each round runs C# then PyTorch; a ratio is always taken within one round (one C# run over one PyTorch run), then
# the median over rounds is reported. PyTorch is Debian's python3-torch with OpenBLAS (OPENBLAS_NUM_THREADS=1,
# torch.set_num_threads = the C# thread count); the script installs OpenBLAS if needed and checks it was loaded.
#
#   bench/compare.sh [--rounds N] [--steps K] [--warmup W] [--batch-size B] [--threads T] [--precision fp32|bf16]
#                    [--out DIR] [CONFIG ...]
# Defaults: 5 rounds, 10 steps, 3 warm-up steps, batch 64, physical cores, fp32,
#           configs/bench_vit_small.yaml configs/bench_swin_small.yaml. Raw JSON lines go to DIR (default: a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 steps=10 warmup=3 batch=64 threads="" precision=fp32 out=""
configs=()
while (($#)); do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --steps) steps=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --batch-size) batch=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --precision) precision=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "error: unknown option $1" >&2; exit 2 ;;
        *) configs+=("$1"); shift ;;
    esac
done
((${#configs[@]})) || configs=(configs/bench_vit_small.yaml configs/bench_swin_small.yaml)
python=${SIMMIM_PYTHON:-/usr/bin/python3}

# Physical cores (distinct physical id / core id pairs), as the C# benchmark's default.
if [ -z "$threads" ]; then
    threads=$(awk -F: '/^physical id/{p=$2} /^core id/{print p":"$2}' /proc/cpuinfo | sort -u | wc -l)
    [ "$threads" -gt 0 ] || threads=$(nproc)
fi

# A fair PyTorch baseline needs OpenBLAS: Debian's python3-torch links libblas.so.3, which points at the reference
# (netlib) BLAS until libopenblas0-pthread is installed and the alternative switches to it.
need=()
dpkg -s python3-torch >/dev/null 2>&1 || need+=(python3-torch)
dpkg -s python3-yaml >/dev/null 2>&1 || need+=(python3-yaml)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
if ((${#need[@]})); then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
blas_link=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
case "$blas_link" in
    *openblas*) ;;
    *) echo "error: libblas.so.3 points to $blas_link, not OpenBLAS; run: update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2
       exit 1 ;;
esac

dotnet build SimMim.slnx -c Release -v quiet -nologo >/dev/null
simmim=src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim
[ -n "$out" ] || out=$(mktemp -d /tmp/simmim-compare.XXXXXX)
mkdir -p "$out"
export OPENBLAS_NUM_THREADS=1

echo "threads $threads, batch $batch, $steps steps after $warmup warm-up, $precision, $rounds rounds; raw results in $out"
for cfg in "${configs[@]}"; do
    name=$(basename "$cfg" .yaml)
    for ((r = 1; r <= rounds; r++)); do
        "$simmim" benchmark --cfg "$cfg" --batch-size "$batch" --steps "$steps" --warmup "$warmup" --threads "$threads" \
            --precision "$precision" | grep '^{' >"$out/$name.csharp.$r.json"
        "$python" bench/pytorch_simmim.py --cfg "$cfg" --batch-size "$batch" --steps "$steps" --warmup "$warmup" \
            --threads "$threads" --precision "$precision" >"$out/$name.pytorch.$r.json"
    done
    "$python" - "$out" "$name" "$rounds" <<'PY'
import json, statistics, sys
out, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []
for r in range(1, rounds + 1):
    cs = json.load(open(f"{out}/{name}.csharp.{r}.json"))
    py = json.load(open(f"{out}/{name}.pytorch.{r}.json"))
    if py["blas"] != "openblas":
        sys.exit(f"error: PyTorch loaded {py['blas']}, not OpenBLAS")
    rows.append((r, cs, py, cs["train_images_per_sec"] / py["train_images_per_sec"],
                 cs["inference_images_per_sec"] / py["inference_images_per_sec"]))
print(f"\n{name}: {rows[0][1]['model_type']} @ {rows[0][1]['img_size']} px, {rows[0][1]['parameters']:,} parameters, "
      f"torch {rows[0][2]['torch_version']} with {rows[0][2]['blas']}")
print(f"{'round':>5} {'C# train img/s':>15} {'PyTorch':>9} {'ratio':>6} {'C# infer img/s':>15} {'PyTorch':>9} {'ratio':>6} {'C# MFU':>7}")
for r, cs, py, train, infer in rows:
    print(f"{r:>5} {cs['train_images_per_sec']:>15.1f} {py['train_images_per_sec']:>9.1f} {train:>6.2f} "
          f"{cs['inference_images_per_sec']:>15.1f} {py['inference_images_per_sec']:>9.1f} {infer:>6.2f} {cs['mfu']:>7.1%}")
print(f"median training ratio {statistics.median(r[3] for r in rows):.2f}, "
      f"median inference ratio {statistics.median(r[4] for r in rows):.2f}, "
      f"median C# MFU {statistics.median(r[1]['mfu'] for r in rows):.1%}")
PY
done
