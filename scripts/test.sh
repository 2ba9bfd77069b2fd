#!/usr/bin/env bash
# Sets up and runs the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Parity fixtures are generated, never committed: the PyTorch reference's weights, outputs and gradients.
/usr/bin/python3 tools/parity/make_fixtures.py "${SIMMIM_PARITY_DIR:-tests/fixtures/parity}"
# Checkpoints shaped as the reference's main_simmim.py / main_finetune.py write them (pickled yacs config and all).
/usr/bin/python3 tools/parity/make_reference_checkpoints.py "${SIMMIM_REFERENCE_CHECKPOINTS_DIR:-tests/fixtures/reference-checkpoints}"
log=$(mktemp)
status=0
DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 dotnet test SimMim.slnx -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?
# One closing line CI can read: "N passed, N failed".
summary=$(grep -E "(Passed|Failed)! +-" "$log" | tail -1 || true)
passed=$(sed -nE 's/.*Passed: +([0-9]+).*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.*Failed: +([0-9]+).*/\1/p' <<<"$summary")
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
[ "$status" -eq 0 ] && [ "${failed:-1}" = "0" ] && [ "${passed:-0}" -gt 0 ]
