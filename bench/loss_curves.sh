#!/usr/bin/env bash
# bf16 vs fp32 convergence: pretrains the same config twice from the same seed (same weights, same batches), once
# per precision, and compares the per-step loss curves (bench/compare_loss_curves.py: statistics and a plot).
#
#   bench/loss_curves.sh [--steps N] [--out DIR] [--data-path P] [CONFIG ...]
# Defaults: 200 steps (half warm-up, half cosine), configs/fashion_mnist_vit_tiny.yaml and
# configs/fashion_mnist_swin_tiny.yaml on /usr/share/datasets/fashion-mnist, output in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=200 out="" data=""
configs=()
while (($#)); do
    case "$1" in
        --steps) steps=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --data-path) data=$2; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        -*) echo "error: unknown option $1" >&2; exit 2 ;;
        *) configs+=("$1"); shift ;;
    esac
done
((${#configs[@]})) || configs=(configs/fashion_mnist_vit_tiny.yaml configs/fashion_mnist_swin_tiny.yaml)
((steps >= 2 && steps % 2 == 0)) || { echo "error: --steps must be an even number of at least 2" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d /tmp/simmim-loss-curves.XXXXXX)
mkdir -p "$out"
python=${SIMMIM_PYTHON:-/usr/bin/python3}

dotnet build SimMim.slnx -c Release -v quiet -nologo >/dev/null
simmim=src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim
data_args=(); [ -n "$data" ] && data_args=(--data-path "$data")

pairs=()
for cfg in "${configs[@]}"; do
    name=$(basename "$cfg" .yaml)
    for precision in fp32 bf16; do
        # Two epochs of steps/2: one of linear warm-up, one of cosine decay; no resume, checkpoints only at the end.
        "$simmim" pretrain --cfg "$cfg" "${data_args[@]}" --output "$out" --tag "$name-$precision" \
            --precision "$precision" --steps-per-epoch $((steps / 2)) \
            --opts TRAIN.EPOCHS 2 TRAIN.WARMUP_EPOCHS 1 TRAIN.AUTO_RESUME False SAVE_FREQ 2 >"$out/$name-$precision.console"
    done
    run_dir=$(dirname "$(find "$out" -path "*/$name-fp32/metrics.csv" | head -1)")
    pairs+=("$name" "$run_dir/metrics.csv" "${run_dir%-fp32}-bf16/metrics.csv")
done
"$python" bench/compare_loss_curves.py --plot "$out/loss_curves.png" "${pairs[@]}"
echo "runs and plot in $out"
