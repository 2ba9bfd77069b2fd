#!/usr/bin/env bash
# Pretrains a small ViT and a small Swin on Fashion-MNIST (60 000 training images, labels unused) and records the
# loss curves, time per epoch, memory and the reconstruction grids in docs/pretrain-fashion-mnist/.
# The two models train one after the other, each on every core (THREADS, default nproc): the ViT gets 30 epochs, the
# Swin 10. The ViT's longer pretraining is for its 92 % fine-tuning target (experiments/downstream_notes.md).
# PRECISION (default bf16): bf16 mixed precision trained these two configs 2.3-2.5x faster than fp32 with the loss
# within 1.3 % over 200 steps (docs/PERFORMANCE.md); PRECISION=fp32 for full precision.
# Usage: experiments/pretrain_fashion_mnist.sh [EPOCHS_VIT [EPOCHS_SWIN]]
#   (defaults 30 and 10; a ViT epoch takes about 2 min on 2 cores in bf16)
set -euo pipefail
cd "$(dirname "$0")/.."
epochs_vit=${1:-30}
epochs_swin=${2:-10}
: "${THREADS:=$(nproc)}"
: "${PRECISION:=bf16}"
bash scripts/setup.sh
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c "import matplotlib" 2>/dev/null \
    && [ -x /usr/bin/time ] || { apt-get install -y -qq python3-matplotlib time >/dev/null; }
out=output/experiments
# A private copy of the command: rebuilding the repository while the runs go on must not touch their binaries.
simmim=$out/bin/simmim
rm -rf "$out"
mkdir -p "$out"
dotnet publish src/SimMim.Cli -c Release -o "$out/bin" -v quiet -nologo >/dev/null
for model in vit swin; do
    epochs=$([ $model = vit ] && echo "$epochs_vit" || echo "$epochs_swin")
    OMP_NUM_THREADS=$THREADS /usr/bin/time -v -o "$out/$model.time" $simmim pretrain --cfg configs/fashion_mnist_${model}_tiny.yaml \
        --data-path /usr/share/datasets/fashion-mnist --output "$out" --tag "$model" --threads "$THREADS" \
        --precision "$PRECISION" --opts TRAIN.EPOCHS "$epochs" > "$out/$model.console" 2>&1 \
        || { tail -5 "$out/$model.console"; exit 1; }
done
for model in vit swin; do grep -E "^epoch [0-9]+:" "$out/$model.console" || true; done
/usr/bin/python3 experiments/summarize_pretrain.py "$out" docs/pretrain-fashion-mnist
