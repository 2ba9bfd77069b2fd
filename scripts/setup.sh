#!/usr/bin/env bash
# Installs what SimMIM.NET needs on Debian 12 / Ubuntu 22.04+ and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every Python module a file in the repository imports comes from one of these (CI checks it):
# python3-torch, python3-numpy: the PyTorch reference the parity tests compare against (tools/parity, bench/);
# python3-scipy: the reference's geometric rel-pos interpolation, reproduced in the parity fixtures;
# python3-pil: the Pillow that RandAugment's ops are checked against byte for byte;
# python3-yaml, python3-matplotlib: the experiment and benchmark summaries (experiments/, bench/);
# openmpi-bin, libopenmpi-dev: mpirun and libmpi for data-parallel runs and their tests (docs/DISTRIBUTED.md).
packages=(dataset-fashion-mnist ca-certificates python3-torch python3-numpy python3-scipy python3-pil python3-yaml
          python3-matplotlib openmpi-bin libopenmpi-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "installing Debian packages: ${missing[*]}"
    # apt's progress and debconf's "delaying package configuration" notes are noise to a user: kept in a log that is
    # shown only when the install fails.
    apt_log=$(mktemp)
    if ! { $sudo_cmd apt-get update -qq && $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            -o Dpkg::Use-Pty=0 "${missing[@]}"; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2; rm -f "$apt_log"
        echo "error: apt-get could not install: ${missing[*]}" >&2
        exit 1
    fi
    rm -f "$apt_log"
fi

if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET 10 SDK (dotnet) is not on PATH; install it first (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
    exit 1
fi

# The SDK's first-run banner is noise in a set-up's output; with it goes the telemetry it announces.
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet build SimMim.slnx -c Release -v quiet -nologo
