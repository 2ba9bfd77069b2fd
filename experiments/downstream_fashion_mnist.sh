#!/usr/bin/env bash
# Does SimMIM pretraining help? On Fashion-MNIST, for a tiny ViT and a tiny Swin:
#   - fine-tune the SimMIM-pretrained encoder and train the same architecture from scratch, with 1 %, 10 % and 100 %
#     of the training labels and the same budget (epochs, schedule, augmentation) for both;
#   - linear-probe the pretrained encoder and a random-init one (frozen features, a linear classifier on top).
# Top-1 on the 10 000 test images (final epoch, never the best: choosing an epoch on the test set would tune on it),
# wall time and peak RSS per run go to docs/RESULTS.md.
#
# The pretraining is experiments/pretrain_fashion_mnist.sh (60 000 images, labels unused); its checkpoints are reused
# when present (PRETRAINED_VIT / PRETRAINED_SWIN override), otherwise it is run first (PRETRAIN_EPOCHS_VIT, default 30;
# PRETRAIN_EPOCHS_SWIN, default 10).
# Budgets (epochs) are variables so a quick trial can shrink them: EPOCHS_100_VIT EPOCHS_100_SWIN (EPOCHS_100 sets
# both) EPOCHS_10 EPOCHS_1 PROBE_EPOCHS. The ViT at 100 % labels gets the longest run (20 epochs), for its 92 % target.
# The elapsed time of the whole experiment, pretraining included, goes to OUT/experiment.seconds.
# A model's pretrained and scratch runs go side by side, one torch thread each: on a 2-core machine that is as fast as
# one series on two threads, and a single-threaded process does not stall at OpenMP barriers when anything else runs.
# Usage: experiments/downstream_fashion_mnist.sh [all|vit|swin] [pretrained|scratch]
#   vit/swin: one series only, THREADS threads; with pretrained (or scratch), only its pretrained (or scratch and
#   random-init) runs, so one model's series can run as two halves side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
half=${2:-both}
case $half in pretrained|scratch|both) ;; *) echo "second argument: pretrained or scratch, got '$half'"; exit 2 ;; esac
: "${PRETRAIN_EPOCHS_VIT:=30}" "${PRETRAIN_EPOCHS_SWIN:=10}" "${EPOCHS_10:=10}" "${EPOCHS_1:=50}" "${PROBE_EPOCHS:=30}"
: "${EPOCHS_100_VIT:=${EPOCHS_100:-20}}" "${EPOCHS_100_SWIN:=${EPOCHS_100:-10}}"
# bf16 mixed precision (fp32 weights, loss and LayerNorm): 2.3-2.5x faster on this CPU; PRECISION=fp32 for full precision.
: "${PRECISION:=bf16}"
data=/usr/share/datasets/fashion-mnist
out=output/downstream
simmim="$out/bin/simmim"
: "${THREADS:=$(nproc)}"

pretrained_of() {   # the last checkpoint of the pretraining run of model $1
    local dir=output/experiments/simmim_pretrain/$1
    ls "$dir"/ckpt_epoch_*.pth 2>/dev/null | sort -V | tail -1
}

if [ "$which" = all ]; then
    started=$(date +%s)
    bash scripts/setup.sh
    [ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
    # A private copy of the command: rebuilding the repository while the experiment runs must not touch its binaries.
    mkdir -p "$out"
    dotnet publish src/SimMim.Cli -c Release -o "$out/bin" -v quiet -nologo >/dev/null
    if [ -z "${PRETRAINED_VIT:-}" ] && [ -z "$(pretrained_of vit)" ] || [ -z "${PRETRAINED_SWIN:-}" ] && [ -z "$(pretrained_of swin)" ]; then
        bash experiments/pretrain_fashion_mnist.sh "$PRETRAIN_EPOCHS_VIT" "$PRETRAIN_EPOCHS_SWIN"
    fi
    export PRETRAINED_VIT=${PRETRAINED_VIT:-$(pretrained_of vit)} PRETRAINED_SWIN=${PRETRAINED_SWIN:-$(pretrained_of swin)}
    export THREADS=1 OMP_NUM_THREADS=1
    # Per model, its pretrained and its scratch half side by side: the two halves cost the same, so neither core idles.
    for model in vit swin; do
        pids=()
        for half in pretrained scratch; do
            "$0" "$model" "$half" > "$out/${model}_${half}.series.log" 2>&1 & pids+=($!)
        done
        status=0
        for pid in "${pids[@]}"; do wait "$pid" || status=1; done
        cat "$out/${model}_pretrained.series.log" "$out/${model}_scratch.series.log"
        [ $status = 0 ] || exit 1
    done
    echo $(( $(date +%s) - started )) > "$out/experiment.seconds"
    exec /usr/bin/python3 experiments/summarize_downstream.py "$out" docs/RESULTS.md "$PRETRAINED_VIT" "$PRETRAINED_SWIN"
fi
[ -x "$simmim" ] || { echo "run '$0 all' first (it builds $simmim)"; exit 1; }
PRETRAINED_VIT=${PRETRAINED_VIT:-$(pretrained_of vit)}
PRETRAINED_SWIN=${PRETRAINED_SWIN:-$(pretrained_of swin)}

run() {   # run TAG COMMAND...: skips a finished run (its time file exists), so an interrupted experiment resumes
    local tag=$1; shift
    [ -s "$out/$tag.time" ] && { echo "$tag: done before"; return; }
    echo "$tag: $*"
    /usr/bin/time -v -o "$out/$tag.time.part" "$simmim" "$@" --threads "$THREADS" --output "$out" --tag "$tag" > "$out/$tag.console" 2>&1 \
        || { tail -5 "$out/$tag.console"; exit 1; }
    mv "$out/$tag.time.part" "$out/$tag.time"
    grep -E "top-1" "$out/$tag.console" | tail -1
}

for model in "$which"; do
    ckpt=$([ "$model" = vit ] && echo "$PRETRAINED_VIT" || echo "$PRETRAINED_SWIN")
    cfg=configs/fashion_mnist_finetune_${model}_tiny.yaml
    for fraction in 0.01 0.1 1.0; do
        case $fraction in
            0.01) epochs=$EPOCHS_1;   eval_freq=$EPOCHS_1 ;;
            0.1)  epochs=$EPOCHS_10;  eval_freq=$EPOCHS_10 ;;
            1.0)  epochs=$([ "$model" = vit ] && echo "$EPOCHS_100_VIT" || echo "$EPOCHS_100_SWIN"); eval_freq=1 ;;
        esac
        # One warmup epoch of 100 % data is 468 steps; for the small fractions warm up for a tenth of the run.
        warmup=$(( epochs >= 10 ? epochs / 10 : (epochs > 1 ? 1 : 0) ))
        for init in pretrained scratch; do
            [ "$half" = both ] || [ "$half" = "$init" ] || continue
            extra=()
            [ "$init" = pretrained ] && extra=(--pretrained "$ckpt")
            run "finetune_${model}_${init}_${fraction}" finetune --cfg "$cfg" --data-path "$data" "${extra[@]}" \
                --label-fraction "$fraction" --eval-freq "$eval_freq" --precision "$PRECISION" \
                --opts TRAIN.EPOCHS "$epochs" TRAIN.WARMUP_EPOCHS "$warmup" SAVE_FREQ "$eval_freq"
        done
    done
    # Linear probe: the ViT is read after block 4 of 6 (the paper's block 8 of 12, scaled to this depth).
    for init in pretrained random; do
        [ "$half" = both ] || [ "$half" = "$([ $init = random ] && echo scratch || echo pretrained)" ] || continue
        extra=()
        [ "$init" = pretrained ] && extra=(--pretrained "$ckpt")
        [ "$model" = vit ] && extra+=(--block 4)
        run "linprobe_${model}_${init}" linprobe --cfg "$cfg" --data-path "$data" "${extra[@]}" \
            --opts TRAIN.EPOCHS "$PROBE_EPOCHS" TRAIN.WARMUP_EPOCHS 1 TRAIN.LAYER_DECAY 1.0 MODEL.DROP_PATH_RATE 0.0
    done
done
