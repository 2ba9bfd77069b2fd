#!/usr/bin/env bash
# Pretrains a small ViT and a small Swin on Fashion-MNIST (60 000 training images, labels unused) and records the
# loss curves, time per epoch, memory and the reconstruction grids in docs/pretrain-fashion-mnist/.
# Usage: experiments/pretrain_fashion_mnist.sh [EPOCHS]   (default 5; about 3-5 min per epoch per model on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs=${1:-5}
bash scripts/setup.sh
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c "import matplotlib" 2>/dev/null \
    && [ -x /usr/bin/time ] || { apt-get install -y -qq python3-matplotlib time >/dev/null; }
simmim=src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim
out=output/experiments
rm -rf "$out"
mkdir -p "$out"
for model in vit swin; do
    /usr/bin/time -v -o "$out/$model.time" $simmim pretrain --cfg configs/fashion_mnist_${model}_tiny.yaml \
        --data-path /usr/share/datasets/fashion-mnist --output "$out" --tag "$model" \
        --opts TRAIN.EPOCHS "$epochs" > "$out/$model.console" 2>&1 || { tail -5 "$out/$model.console"; exit 1; }
    grep -E "^epoch [0-9]+:" "$out/$model.console"
done
/usr/bin/python3 experiments/summarize_pretrain.py "$out" docs/pretrain-fashion-mnist
