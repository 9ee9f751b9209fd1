#!/usr/bin/env bash
# The Stable Diffusion U-Net step beside PyTorch eager (issue 21 item 6): SD 1.5's U-Net at its real widths (random F16
# weights from tests/reference/sd_unet_reference.py --wide, as bench/run-unet-check.sh makes them), one noise
# prediction under no-grad on latents [2,4,S,S] (a classifier-free-guidance batch) with 77 text tokens at one timestep,
# as a DDIM step runs it. Each side in its own process, alternating, per round: the peer bench/unet_step_pytorch.py
# (CompVis' ldm UNetModel, float32; it writes the shared input and its output), then ours (MMInterp.Bench unet-step,
# which reports its largest difference from the peer's output). Usage:
#   bash bench/run-unet-step.sh COMPVIS_CHECKOUT SGM_CHECKOUT CV_COMMIT SGM_COMMIT [WORK_DIR] [--rounds 3] [--reps 3] [--threads 2] [--latents 64]
# S = 64 is SD 1.5 at 512 px; smaller (32) keeps a round short. The checkouts are trees of github.com/CompVis/stable-diffusion
# and Stability-AI/generative-models (never committed here), as for run-unet-check.sh. The peer gets Debian's OpenBLAS
# through LD_LIBRARY_PATH, as bench/run-clip.sh explains (the default libblas.so.3 is netlib's).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/run-unet-step.sh COMPVIS_CHECKOUT SGM_CHECKOUT CV_COMMIT SGM_COMMIT [WORK_DIR] [--rounds N] [--reps N] [--threads N] [--latents S]"
cv="${1:?$usage}"; sgm="${2:?$usage}"; cvc="${3:?$usage}"; sgmc="${4:?$usage}"; shift 4
work=/tmp/mminterp-unet-check
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then work="$1"; shift; fi
rounds=3 reps=3 threads=2 latents=64
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2" ;; --reps) reps="$2" ;; --threads) threads="$2" ;; --latents) latents="$2" ;;
    *) echo "unknown option $1; $usage" >&2; exit 2 ;;
  esac
  shift 2
done
. bench/peer-env.sh
peer_torch
peer_blas
dir="$work/sd_unet_sd15_wide"
[ -e "$dir/golden.safetensors" ] || /usr/bin/python3 tests/reference/sd_unet_reference.py "$cv" "$sgm" "$work" "$cvc" "$sgmc" --wide
dotnet build bench/MMInterp.Bench -c Release -v q -nologo -clp:ErrorsOnly
ours="dotnet bench/MMInterp.Bench/bin/Release/net10.0/MMInterp.Bench.dll unet-step $dir --threads $threads --reps $reps --latents $latents"
logs=$(mktemp -d)
echo "unet-step: $dir rounds=$rounds reps=$reps latents=$latents threads=$threads cores=$(nproc) commit=$(git rev-parse --short HEAD)"
for r in $(seq 1 "$rounds"); do
  echo "round $r: $(uptime)"
  OPENBLAS_NUM_THREADS="$threads" LD_LIBRARY_PATH="$(pwd)/$blas" /usr/bin/python3 bench/unet_step_pytorch.py "$cv" "$dir" \
    --threads "$threads" --reps "$reps" --latents "$latents" 2>&1 | grep -v -e "^No SDP backend" -e "^no module 'xformers'" > "$logs/pytorch.$r"
  $ours 2>&1 | grep -v "Could not initialize NNPACK" > "$logs/ours.$r"
  for side in pytorch ours; do sed "s/^/  $side: /" "$logs/$side.$r"; done
done
echo "end: $(uptime)"
/usr/bin/python3 - "$logs" "$rounds" <<'EOF'
import statistics as st, sys
logs, rounds = sys.argv[1], int(sys.argv[2])
def parse(side, r):
    f = {}
    for line in open(f"{logs}/{side}.{r}"):
        if line.startswith("split_seconds"):
            f["split"] = [[float(v) for v in s.split("/")] for s in line.split(":", 1)[1].split()]
        elif ":" in line and not line.startswith(("ours:", "pytorch:")):
            k, v = line.split(":", 1)
            f[k.strip()] = v.strip()
    return f
out = {}
for side in ("pytorch", "ours"):
    runs = [parse(side, r) for r in range(1, rounds + 1)]
    med = [st.median(float(s) for s in run["step_seconds"].split(",")) for run in runs]
    best = min(float(s) for run in runs for s in run["step_seconds"].split(","))
    rss = [float(run["peak_rss_mb"]) for run in runs]
    split = [st.median(col) for col in zip(*(s for run in runs for s in run["split"]))]
    out[side] = (st.median(med), best, st.median(rss))
    print(f"{side}: step seconds per round (medians) {[round(x, 3) for x in med]} median {st.median(med):.3f}, best {best:.3f}; "
          f"peak RSS MB {rss} median {st.median(rss):.0f}; load peak RSS MB {[float(run['load_peak_rss_mb']) for run in runs]}")
    print(f"  {side} split median (down levels / mid / up levels / norm+conv_out): {'/'.join(f'{v:.3f}' for v in split)}")
    for run in runs:
        if "vs_pytorch" in run:
            print(f"  {side} vs_pytorch: {run['vs_pytorch']}")
o, p = out["ours"], out["pytorch"]
print(f"figure unet_step_vs_pytorch: {p[0] / o[0]:.3f} ({p[0]:.3f} s against {o[0]:.3f} s a step)")
print(f"figure unet_rss_vs_pytorch: {o[2] / p[2]:.3f} ({o[2]:.0f} MB against {p[2]:.0f} MB)")
# On a shared machine a process's samples are bimodal (a core taken by someone else or not): best over best
# compares the least-disturbed samples of each side.
print(f"  best over best: step {p[1] / o[1]:.3f}")
EOF
rm -rf "$logs"
