#!/usr/bin/env bash
# Chooses a fine-tuning recipe on held-out *training* images, never on the test set: fine-tunes on 90 % of the
# Fashion-MNIST training images and validates on the other 10 % (`--holdout 0.1`, the same images in every run).
# Each call is one trial, one torch thread; run two side by side on a 2-core machine. The pretrained checkpoint is
# the pretraining run of experiments/pretrain_fashion_mnist.sh (PRETRAINED overrides).
# Usage: experiments/holdout_recipes.sh NAME MODEL INIT EPOCHS [CONFIG_KEY VALUE ...]
#   MODEL vit|swin, INIT pretrained|scratch; the key/value pairs go to --opts. Output: output/holdout/NAME.console;
#   the last line of the console is the held-out top-1 after the last epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n 2,9p "$0"; exit 2; }
name=$1 model=$2 init=$3 epochs=$4; shift 4
out=output/holdout
simmim=$out/bin/simmim
mkdir -p "$out"
# A private copy of the command, built once: later rebuilds of the repository must not change a trial's binary.
[ -x "$simmim" ] || dotnet publish src/SimMim.Cli -c Release -o "$out/bin" -v quiet -nologo >/dev/null
extra=()
if [ "$init" = pretrained ]; then
    ckpt=${PRETRAINED:-$(ls output/experiments/simmim_pretrain/"$model"/ckpt_epoch_*.pth | sort -V | tail -1)}
    extra=(--pretrained "$ckpt")
fi
export OMP_NUM_THREADS=1
/usr/bin/time -v -o "$out/$name.time" "$simmim" finetune --cfg "configs/fashion_mnist_finetune_${model}_tiny.yaml" \
    --data-path /usr/share/datasets/fashion-mnist "${extra[@]}" --holdout 0.1 --precision bf16 --threads 1 \
    --output "$out" --tag "$name" \
    --opts TRAIN.EPOCHS "$epochs" TRAIN.WARMUP_EPOCHS $(( epochs >= 10 ? epochs / 10 : 1 )) SAVE_FREQ "$epochs" "$@" \
    > "$out/$name.console" 2>&1
grep "val top-1" "$out/$name.console" | tail -1
