#!/usr/bin/env bash
# Sets up, builds and runs the default demo: `simmim pretrain` on built-in procedural images (a few minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec src/SimMim.Cli/bin/Release/net10.0/linux-x64/simmim pretrain "$@"
