#!/usr/bin/env bash
# Real-model benchmark (issue 15 item 8): our CLIP ViT-B/32 extraction and checkpoint loading beside PyTorch eager
# running OpenAI's own CLIP code on the same random weights and images. Usage:
#   bash bench/run-clip.sh OPENAI_CLIP_CHECKOUT [MMInterp.Bench clip options: --images 256 --reps 3 --rounds 3 ...]
# OPENAI_CLIP_CHECKOUT is a checkout of github.com/openai/CLIP (only clip/model.py is used; never committed here).
# Debian's python3-torch calls whatever libblas.so.3 resolves to, the reference BLAS on a fresh machine; the peer gets
# OpenBLAS (Debian's libopenblas0-pthread, unpacked under bench/.peer-blas, not installed) through LD_LIBRARY_PATH,
# so the machine's BLAS alternative and everyone else's processes stay as they are.
# Only the loader figure (clip_b32_load_rss_over_weights): bash bench/run-clip.sh none --rounds 3
set -euo pipefail
cd "$(dirname "$0")/.."
repo="${1:?usage: bench/run-clip.sh OPENAI_CLIP_CHECKOUT|none [options]}"; shift
. bench/peer-env.sh
peer_torch
peer_blas_dir
[ "$repo" = none ] || peer_blas
dotnet build bench/MMInterp.Bench -c Release -v q -nologo -clp:ErrorsOnly
uptime
exec dotnet bench/MMInterp.Bench/bin/Release/net10.0/MMInterp.Bench.dll clip --clip-repo "$repo" --peer-blas "$(pwd)/$blas" "$@"
