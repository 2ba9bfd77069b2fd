#!/usr/bin/env bash
# Crash drill (docs/RELIABILITY.md): kill -9 a tiny pretraining run at 20 random moments, some during checkpoint
# writes, resume it each time, and compare with an uninterrupted run: same final weights to 1e-6, every checkpoint
# loadable. About two minutes on 2 cores. Usage: bash scripts/crash_drill.sh [KILLS] [SEED] [pretrain|linprobe]
set -euo pipefail
cd "$(dirname "$0")/.."
simmim=src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim
[ -x "$simmim" ] || dotnet build SimMim.slnx -c Release -nologo -v q
exec /usr/bin/python3 scripts/crash_drill.py --simmim "$simmim" --kills "${1:-20}" --seed "${2:-1}" --task "${3:-pretrain}"
