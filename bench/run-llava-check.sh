#!/usr/bin/env bash
# LLaVA at real widths against the independent references (issue 20 item 4): LLaVA-1.5-7B's widths (ViT-L/14 at 336 px
# with 2 blocks, the 1024 -> 4096 projector, one Vicuna-7B decoder layer) with random BF16 weights, from OpenAI's CLIP
# code, HF's projector formula and Meta's llama/model.py, then our load, features, logits and greedy tokens. Usage:
#   bash bench/run-llava-check.sh CLIP_CHECKOUT LLAMA_CHECKOUT [WORK_DIR] [--threads N]
# The checkouts are github.com/openai/CLIP and github.com/meta-llama/llama (never committed here).
set -euo pipefail
cd "$(dirname "$0")/.."
clip="${1:?usage: bench/run-llava-check.sh CLIP_CHECKOUT LLAMA_CHECKOUT [WORK_DIR] [options]}"
llama="${2:?usage: bench/run-llava-check.sh CLIP_CHECKOUT LLAMA_CHECKOUT [WORK_DIR] [options]}"
work="${3:-/tmp/mminterp-llava-check}"; shift $(( $# < 3 ? $# : 3 ))
. bench/peer-env.sh
peer_torch
[ -e "$work/llava7b_one_layer/golden.safetensors" ] || /usr/bin/python3 tests/reference/llava_reference.py "$clip" "$llama" "$work" --wide
dotnet build bench/MMInterp.Bench -c Release -v q -nologo -clp:ErrorsOnly
uptime
exec dotnet bench/MMInterp.Bench/bin/Release/net10.0/MMInterp.Bench.dll llava-check "$work/llava7b_one_layer" "$@"
