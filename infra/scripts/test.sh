#!/usr/bin/env bash
# Runs every test project. Tests that need Postgres start their own throwaway server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# TorchSharp 0.107 passes implicitly created Scalars to libtorch without keeping them alive, so a GC that lands
# mid-call can free one ("toFloat" errors, rarely). A 256 MiB gen0 budget makes GCs ~60x rarer; our own kernels
# hold their Scalars (MMInterp.Kernels.Tensors.Scalars), this covers TorchSharp's internal ones.
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x10000000}"
bash "$root/infra/scripts/setup.sh"
cd "$root"
log="$(mktemp)"
set +e
dotnet test MMInterp.sln -c Release --no-build -nologo 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
passed=$(grep -oE "Passed: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE "Failed: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE "Skipped: +[0-9]+" "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then echo "test run failed (exit $rc) before reporting failures" >&2; fi
exit "$rc"
