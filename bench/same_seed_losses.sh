#!/usr/bin/env bash
# Refactoring guard: 50 steps of demo pretraining and 50 of ViT fine-tuning on one thread, compared to the last digit
# with the loss sequences recorded in docs/same-seed-losses/ (recorded 2026-12-04 on an AMD EPYC, family 25, before the
# training loop and encoder registry were redesigned). Another CPU may round differently: record there first.
# Usage: bash bench/same_seed_losses.sh [--record]        (~2.5 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
simmim=src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim
[ -x "$simmim" ] || dotnet build SimMim.slnx -c Release -nologo -v q
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$simmim" pretrain --cfg configs/demo.yaml --output "$work/pre" --threads 1 --steps-per-epoch 25 \
    --opts TRAIN.EPOCHS 2 >/dev/null
"$simmim" finetune --cfg configs/fashion_mnist_finetune_vit_tiny.yaml --data-path /usr/share/datasets/fashion-mnist \
    --output "$work/ft" --threads 1 --steps-per-epoch 25 --label-fraction 0.1 --opts TRAIN.EPOCHS 2 >/dev/null
status=0
for pair in "pre/simmim_demo/default:pretrain_demo" "ft/simmim_finetune/fashion_mnist_vit_tiny:finetune_vit_tiny"; do
    run=${pair%%:*} recorded=docs/same-seed-losses/${pair#*:}.csv
    if [ "${1:-}" = "--record" ]; then
        cut -d, -f1-4 "$work/$run/metrics.csv" > "$recorded"
    elif cut -d, -f1-4 "$work/$run/metrics.csv" | diff -q - "$recorded" >/dev/null; then
        echo "same losses as $recorded"
    else
        echo "DIFFERENT losses from $recorded:"; cut -d, -f1-4 "$work/$run/metrics.csv" | diff - "$recorded" | head; status=1
    fi
done
exit $status
