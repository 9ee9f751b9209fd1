#!/usr/bin/env bash
# The main job on the embedded default: a project-owned Postgres, the local silo, the ShapesWorld zoo.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# TorchSharp 0.107 passes implicitly created Scalars to libtorch without keeping them alive, so a GC that lands
# mid-call can free one ("toFloat" errors, rarely). A 256 MiB gen0 budget makes GCs ~60x rarer; our own kernels
# hold their Scalars (MMInterp.Kernels.Tensors.Scalars), this covers TorchSharp's internal ones.
export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x10000000}"
bash "$root/infra/scripts/setup.sh"
# The wrapper sets the runtime settings above (and any it gains later) for every `mminterp` run.
exec "$root/infra/scripts/mminterp" quickstart "$@"
