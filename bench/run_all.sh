#!/usr/bin/env bash
# Every measurement in docs/PERFORMANCE.md, in the order the document uses them, into one folder. Run it on a quiet
# machine (nothing else using the cores): about 25 minutes on 2 cores.
#
#   bench/run_all.sh [OUT]      (default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d /tmp/simmim-perf.XXXXXX)}
mkdir -p "$out"
dotnet build SimMim.slnx -c Release -v quiet -nologo >/dev/null
simmim=src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim

# 1. The benchmark table: both configs, fp32 and bf16 (one run each; the compare rounds below repeat fp32).
for cfg in vit swin; do
    for precision in fp32 bf16; do
        "$simmim" benchmark --cfg "configs/bench_${cfg}_small.yaml" --precision "$precision" >"$out/benchmark_${cfg}_$precision.txt"
    done
done
# 2. Where the time goes: perf's flat profile of a short fp32 benchmark of each config.
if command -v perf >/dev/null; then
    for cfg in vit swin; do
        perf record -q -F 999 -o "$out/perf_$cfg.data" "$simmim" benchmark --cfg "configs/bench_${cfg}_small.yaml" --steps 5 --warmup 2 >/dev/null 2>&1
        perf report -i "$out/perf_$cfg.data" --no-children --sort dso,symbol 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40 >"$out/perf_$cfg.txt" || true
    done
fi
# 3. C# vs PyTorch: 5 rounds in fp32.
bench/compare.sh --rounds 5 --out "$out/compare_fp32" >"$out/compare_fp32.txt"
# 4. bf16 vs fp32 loss curves, 200 steps from the same seed: the Fashion-MNIST configs, then the benchmark configs on
#    Fashion-MNIST (upscaled to 96 px; the built-in set is too small for 200 steps of 64).
bench/loss_curves.sh --out "$out/loss_fashion" >"$out/loss_fashion.txt"
# 5. C# vs PyTorch in bf16 (PyTorch under torch.autocast), 3 rounds.
bench/compare.sh --rounds 3 --precision bf16 --out "$out/compare_bf16" >"$out/compare_bf16.txt"
# 6. The loss curves of the benchmark configs (the longest part).
bench/loss_curves.sh --out "$out/loss_bench" --data-path /usr/share/datasets/fashion-mnist configs/bench_vit_small.yaml configs/bench_swin_small.yaml >"$out/loss_bench.txt"
cat "$out"/compare_*.txt "$out"/loss_*.txt
echo "all results in $out"
