#!/usr/bin/env bash
# Installs what SimMIM.NET needs on Debian 12 / Ubuntu 22.04+ and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-torch: the PyTorch reference the parity tests compare against (tools/parity);
# python3-pil: the Pillow that RandAugment's ops are checked against byte for byte;
# openmpi-bin, libopenmpi-dev: mpirun and libmpi for data-parallel runs and their tests (docs/DISTRIBUTED.md).
packages=(dataset-fashion-mnist ca-certificates python3-torch python3-pil openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK (dotnet) is not on PATH; install it first (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
    exit 1
fi

dotnet build SimMim.slnx -c Release -v quiet -nologo
