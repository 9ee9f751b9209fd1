#!/usr/bin/env bash
# The Stable Diffusion U-Net at SD 1.5's real widths against the CompVis reference (issue 21): random F16 weights from
# CompVis' ldm UNetModel (v1-inference widths), then our load and output beside it. Usage:
#   bash bench/run-unet-check.sh COMPVIS_CHECKOUT SGM_CHECKOUT CV_COMMIT SGM_COMMIT [WORK_DIR] [--threads N] [--latents S]
# The checkouts are trees of github.com/CompVis/stable-diffusion and Stability-AI/generative-models (never committed
# here; e.g. `git -C MIRROR archive HEAD ldm | tar -x -C DIR`); the commits are recorded in reference.json.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/run-unet-check.sh COMPVIS_CHECKOUT SGM_CHECKOUT CV_COMMIT SGM_COMMIT [WORK_DIR] [options]"
cv="${1:?$usage}"; sgm="${2:?$usage}"; cvc="${3:?$usage}"; sgmc="${4:?$usage}"
work="${5:-/tmp/mminterp-unet-check}"; shift $(( $# < 5 ? $# : 5 ))
[ -e "$work/sd_unet_sd15_wide/golden.safetensors" ] || /usr/bin/python3 tests/reference/sd_unet_reference.py "$cv" "$sgm" "$work" "$cvc" "$sgmc" --wide
dotnet build bench/MMInterp.Bench -c Release -v q -nologo -clp:ErrorsOnly
uptime
exec dotnet bench/MMInterp.Bench/bin/Release/net10.0/MMInterp.Bench.dll unet-check "$work/sd_unet_sd15_wide" "$@"
