#!/usr/bin/env bash
# The decoder at real widths against Meta's reference (issue 20 item 4): one Llama layer at LLaVA-1.5-7B's language-model
# widths with random BF16 weights, from Meta's llama/model.py, then our load, logits and greedy tokens beside it. Usage:
#   bash bench/run-llama-check.sh LLAMA_CHECKOUT LLAMA_MODELS_CHECKOUT [WORK_DIR] [--threads N]
# The checkouts are github.com/meta-llama/llama and github.com/meta-llama/llama-models (never committed here).
set -euo pipefail
cd "$(dirname "$0")/.."
llama="${1:?usage: bench/run-llama-check.sh LLAMA_CHECKOUT LLAMA_MODELS_CHECKOUT [WORK_DIR] [options]}"
models="${2:?usage: bench/run-llama-check.sh LLAMA_CHECKOUT LLAMA_MODELS_CHECKOUT [WORK_DIR] [options]}"
work="${3:-/tmp/mminterp-llama-check}"; shift $(( $# < 3 ? $# : 3 ))
. bench/peer-env.sh
peer_torch
[ -e "$work/llava7b_one_layer/golden.safetensors" ] || /usr/bin/python3 tests/reference/llama_meta_reference.py "$llama" "$models" "$work" --wide
dotnet build bench/MMInterp.Bench -c Release -v q -nologo -clp:ErrorsOnly
uptime
exec dotnet bench/MMInterp.Bench/bin/Release/net10.0/MMInterp.Bench.dll llama-check "$work/llava7b_one_layer" "$@"
