#!/usr/bin/env bash
# Measures data-parallel scaling on this machine: throughput of one process against `mpirun -np 2` at the same
# global batch and at twice the batch, the gradient all-reduce time inside training, and `simmim mpi-check` for
# the tiny models and for ViT-Base (the reference's size). Numbers for docs/DISTRIBUTED.md; run on a quiet machine.
# Usage: experiments/distributed_scaling.sh [STEPS]   (default 60 steps per run; about 10 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-60}
load=$(cut -d' ' -f1 /proc/loadavg)
if { pgrep -f "simmim (pretrain|finetune|linprobe|benchmark)" >/dev/null || awk -v l="$load" 'BEGIN { exit !(l > 1) }'; } \
        && [ "${FORCE:-0}" != 1 ]; then
    echo "the machine is busy (load $load or another simmim run); the numbers would be wrong (FORCE=1 to measure anyway)" >&2
    exit 1
fi
bash scripts/setup.sh
simmim=$PWD/src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim
data=/usr/share/datasets/fashion-mnist
out=output/experiments/distributed
rm -rf "$out"
mkdir -p "$out"
mpirun=(mpirun --bind-to none --allow-run-as-root --oversubscribe)
cores=$(nproc)

# Mean images/s over the second half of a run's steps (metrics.csv holds a smoothed rate per step).
rate() { /usr/bin/python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
half = rows[len(rows) // 2:]
print(f"{sum(float(r['images_per_second']) for r in half) / len(half):.1f}")
PY
}

summary=$out/summary.md
{
    echo "| model | run | processes × threads | batch per process | global batch | images/s | gradient all-reduce per step |"
    echo "|---|---|---|---|---|---|---|"
} > "$summary"
for model in vit swin; do
    cfg=configs/fashion_mnist_${model}_tiny.yaml
    run() {   # name, launcher prefix, threads, batch per process, global batch
        local name=$1 launcher=$2 threads=$3 batch=$4 global=$5
        $launcher "$simmim" pretrain --cfg "$cfg" --data-path "$data" --output "$out" --tag "$model-$name" \
            --threads "$threads" --batch-size "$batch" --steps-per-epoch "$steps" --opts TRAIN.EPOCHS 1 \
            > "$out/$model-$name.console" 2>&1 || { tail -5 "$out/$model-$name.console"; exit 1; }
        local dir=$out/simmim_pretrain/$model-$name
        local comm
        comm=$(grep -o "gradient all-reduce [0-9.]* ms per optimizer step ([0-9.]* % of the epoch)" "$dir/log.txt" \
            | sed 's/gradient all-reduce //; s/ per optimizer step//' || true)
        local procs=1
        [[ "$launcher" == mpirun* ]] && procs=2
        echo "| $model | $name | $procs × $threads | $batch | $global | $(rate "$dir/metrics.csv") | ${comm:-–} |" >> "$summary"
    }
    run one-1thread "" 1 128 128
    run one "" "$cores" 128 128
    run two "${mpirun[*]} -np 2" $((cores / 2 > 0 ? cores / 2 : 1)) 64 128
    run two-2xbatch "${mpirun[*]} -np 2" $((cores / 2 > 0 ? cores / 2 : 1)) 128 256
done

echo >> "$summary"
echo '```' >> "$summary"
for cfg in configs/fashion_mnist_vit_tiny.yaml configs/fashion_mnist_swin_tiny.yaml \
           configs/reference/simmim_pretrain__vit_base__img224__800ep.yaml; do
    echo "\$ mpirun -np 2 simmim mpi-check --cfg $cfg" >> "$summary"
    "${mpirun[@]}" -np 2 "$simmim" mpi-check --cfg "$cfg" --threads 1 --iterations 20 2>&1 \
        | sed 's/\x1b\[[0-9;?]*[a-zA-Z=>]//g; s/\x1b[=>]//g' | grep -v '^$' >> "$summary"
done
echo '```' >> "$summary"
cat "$summary"
