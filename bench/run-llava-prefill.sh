#!/usr/bin/env bash
# LLaVA prefill and decode beside PyTorch eager (issue 20 item 7): LLaVA-1.5-7B's widths with few layers (ViT-L/14 at
# 336 px with 2 blocks, the 1024 -> 4096 projector, one Vicuna-7B decoder layer; random BF16 weights from
# tests/reference/llava_reference.py --wide), one prompt of 25 tokens + 576 image tokens. Each side in its own process,
# alternating, per round: ours as loaded by default (bf16 decoder and projector kept, computed in fp32), ours with
# --fp32 (everything widened on load, the peer's storage), and the peer bench/llava_prefill_pytorch.py (OpenAI's CLIP
# code, HF's projector formula, Meta's llama/model.py, float32). Usage:
#   bash bench/run-llava-prefill.sh CLIP_CHECKOUT LLAMA_CHECKOUT [WORK_DIR] [--rounds 3] [--reps 3] [--decode 8] [--threads 2]
# The checkouts are github.com/openai/CLIP and github.com/meta-llama/llama (never committed here). The peer gets
# Debian's OpenBLAS through LD_LIBRARY_PATH, as bench/run-clip.sh explains (the default libblas.so.3 is netlib's).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bench/run-llava-prefill.sh CLIP_CHECKOUT LLAMA_CHECKOUT [WORK_DIR] [--rounds N] [--reps N] [--decode K] [--threads N]"
clip="${1:?$usage}"; llama="${2:?$usage}"; shift 2
work=/tmp/mminterp-llava-check
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then work="$1"; shift; fi
rounds=3 reps=3 decode=8 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2" ;; --reps) reps="$2" ;; --decode) decode="$2" ;; --threads) threads="$2" ;;
    *) echo "unknown option $1; $usage" >&2; exit 2 ;;
  esac
  shift 2
done
. bench/peer-env.sh
peer_torch
peer_blas
dir="$work/llava7b_one_layer"
[ -e "$dir/golden.safetensors" ] || LD_LIBRARY_PATH="$(pwd)/$blas" /usr/bin/python3 tests/reference/llava_reference.py "$clip" "$llama" "$work" --wide
dotnet build bench/MMInterp.Bench -c Release -v q -nologo -clp:ErrorsOnly
bench="dotnet bench/MMInterp.Bench/bin/Release/net10.0/MMInterp.Bench.dll llava-prefill $dir --threads $threads --reps $reps --decode $decode"
logs=$(mktemp -d)
echo "llava-prefill: $dir rounds=$rounds reps=$reps decode=$decode threads=$threads cores=$(nproc) commit=$(git rev-parse --short HEAD)"
for r in $(seq 1 "$rounds"); do
  echo "round $r: $(uptime)"
  $bench > "$logs/ours.$r" 2>&1
  $bench --fp32 > "$logs/ours_fp32.$r" 2>&1
  OPENBLAS_NUM_THREADS="$threads" LD_LIBRARY_PATH="$(pwd)/$blas" /usr/bin/python3 bench/llava_prefill_pytorch.py "$clip" "$llama" "$dir" \
    --threads "$threads" --reps "$reps" --decode "$decode" > "$logs/pytorch.$r" 2>&1
  for side in ours ours_fp32 pytorch; do sed "s/^/  $side: /" "$logs/$side.$r"; done
done
echo "end: $(uptime)"
/usr/bin/python3 - "$logs" "$rounds" "$decode" <<'EOF'
import statistics as st, sys
logs, rounds, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def parse(side, r):
    f = {}
    for line in open(f"{logs}/{side}.{r}"):
        if ":" in line and not line.startswith(("ours:", "pytorch:")):
            k, v = line.split(":", 1)
            f[k.strip()] = v.strip()
        elif "merged_tokens" in line:
            f["merged"] = int(line.split("merged_tokens")[1].split()[0])
    return f
out = {}
for side in ("ours", "ours_fp32", "pytorch"):
    runs = [parse(side, r) for r in range(1, rounds + 1)]
    pre = [st.median(run["merged"] / float(s) for s in run["prefill_seconds"].split(",")) for run in runs]
    dec = [st.median(steps / float(s) for s in run["decode_seconds"].split(",")) for run in runs]
    rss = [float(run["peak_rss_mb"]) for run in runs]
    best = (max(run["merged"] / float(s) for run in runs for s in run["prefill_seconds"].split(",")),
            max(steps / float(s) for run in runs for s in run["decode_seconds"].split(",")))
    out[side] = (st.median(pre), st.median(dec), st.median(rss), {run["tokens"] for run in runs}, best)
    print(f"{side}: prefill tokens/s per round {[round(x, 2) for x in pre]} median {st.median(pre):.2f}; "
          f"decode tokens/s {[round(x, 3) for x in dec]} median {st.median(dec):.3f}; peak RSS MB {rss} median {st.median(rss):.0f}; "
          f"load peak RSS MB {[float(run['load_peak_rss_mb']) for run in runs]}; best prefill {best[0]:.2f}, best decode {best[1]:.3f}; "
          f"tokens {sorted(out[side][3])}")
same = len(set().union(*(v[3] for v in out.values()))) == 1
print(f"greedy tokens identical on all sides: {same}")
for side, suffix in (("ours", ""), ("ours_fp32", " (ours --fp32)")):
    o, p = out[side], out["pytorch"]
    print(f"figure vlm_prefill_vs_pytorch{suffix}: {o[0] / p[0]:.3f}")
    print(f"figure vlm_rss_vs_pytorch{suffix}: {o[2] / p[2]:.3f}")
    print(f"figure vlm_decode_vs_pytorch{suffix}: {o[1] / p[1]:.3f} ({o[1]:.3f} against {p[1]:.3f} tokens/s)")
    # On a shared machine a process's samples are bimodal (a core taken by someone else or not): best over best
    # compares the least-disturbed samples of each side.
    print(f"  best over best{suffix}: prefill {o[4][0] / p[4][0]:.3f}, decode {o[4][1] / p[4][1]:.3f}")
EOF
rm -rf "$logs"
