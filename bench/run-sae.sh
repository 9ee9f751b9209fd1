#!/usr/bin/env bash
# SAE training-step benchmark (docs/ARCHITECTURE.md, "Benchmarks"). Installs the peers the bench compares against
# (Debian's OpenBLAS and python3-torch; CI does not), builds the bench and runs `MMInterp.Bench sae`.
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for the run: set, they make OpenBLAS pick slower kernels here.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so.0 ] || need+=(libopenblas0-pthread)
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
dotnet build bench/MMInterp.Bench -c Release -v q -nologo
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
  dotnet bench/MMInterp.Bench/bin/Release/net10.0/MMInterp.Bench.dll sae "$@"
