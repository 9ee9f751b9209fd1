#!/usr/bin/env python3
"""PyTorch peer for the Stable Diffusion U-Net step benchmark (issue 21 item 6): the CompVis reference, eager, float32.

Usage: unet_step_pytorch.py COMPVIS_CHECKOUT DIR [--latents 64] [--batch 2] [--tokens 77] [--reps 3] [--threads 2]

DIR is what `tests/reference/sd_unet_reference.py CV SGM OUT CV_COMMIT SGM_COMMIT --wide` wrote under
OUT/sd_unet_sd15_wide (diffusers config.json, F16 weights under diffusers' names, golden.safetensors). The model is
CompVis' ldm UNetModel (the code the goldens come from, loaded by sd_unet_reference.load_compvis), built at the config's
widths, its weights read back from the diffusers names through sd_unet_reference.diffusers_key and widened to float32.
Before timing, the golden's 8x8 input is run once and compared with the golden output (the weights went in right).

A step = one U-Net forward under torch.no_grad() on DIR/step_inputs_S.safetensors: latents [B,4,S,S], one timestep
for the whole batch (500), text states [B,T,context] (B = 2: a classifier-free-guidance batch, as a DDIM step runs it).
This script writes that file (seeded randn) when it is missing, and writes its output of the first timed step to
DIR/step_out_pytorch_S.safetensors so our side can compare on the same input. One warm-up, then --reps timed steps.
Prints step_seconds, split_seconds (each stretch of the forward: down levels, mid, up levels, output; our side takes
the same), peak_rss_mb (VmHWM reset after loading, so it is the steps' peak with the weights resident) and
load_peak_rss_mb.
"""
import argparse, json, os, sys, time

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "reference"))
import sd_unet_reference as ref  # noqa: E402  (imported, it only defines its loaders and the key mapping)
from peer_io import read_safetensors, status  # noqa: E402  (bench/, the script's folder, is on sys.path)

p = argparse.ArgumentParser()
p.add_argument("cv_repo")
p.add_argument("dir")
p.add_argument("--latents", type=int, default=64)
p.add_argument("--batch", type=int, default=2)
p.add_argument("--tokens", type=int, default=77)
p.add_argument("--reps", type=int, default=3)
p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
a = p.parse_args()
torch.set_num_threads(a.threads)

with open(os.path.join(a.dir, "config.json")) as f:
    cfg = json.load(f)
# CompVis' UNetModel is the SD 1.x layout: 1x1-conv proj_in/out, one transformer block per level, a head count per
# model, GroupNorm 32, cos-first sinusoids; anything else is another reference's config.
sd1 = (not cfg.get("use_linear_projection", False) and cfg.get("addition_embed_type") is None
       and cfg.get("transformer_layers_per_block", 1) == 1 and isinstance(cfg["attention_head_dim"], int)
       and cfg["norm_num_groups"] == 32 and cfg["flip_sin_to_cos"] and cfg["freq_shift"] == 0)
if not sd1:
    sys.exit(f"{a.dir}/config.json is not an SD 1.x U-Net config (CompVis' UNetModel); this peer runs only those")
widths, down = cfg["block_out_channels"], cfg["down_block_types"]
kwargs = dict(image_size=cfg.get("sample_size", 64), in_channels=cfg["in_channels"], model_channels=widths[0],
              out_channels=cfg["out_channels"], num_res_blocks=cfg["layers_per_block"],
              attention_resolutions=[2 ** i for i, t in enumerate(down) if t.startswith("CrossAttn")],
              channel_mult=tuple(w // widths[0] for w in widths), num_heads=cfg["attention_head_dim"],
              use_spatial_transformer=True, transformer_depth=1, context_dim=cfg["cross_attention_dim"], legacy=False)

cv = ref.load_compvis(a.cv_repo)
# Every weight is overwritten by the checkpoint (strict load below), so the random init is skipped: it only costs time.
inits = (nn.Linear.reset_parameters, nn.modules.conv._ConvNd.reset_parameters)
nn.Linear.reset_parameters = nn.modules.conv._ConvNd.reset_parameters = lambda self: None
model = cv.UNetModel(**kwargs)
nn.Linear.reset_parameters, nn.modules.conv._ConvNd.reset_parameters = inits
stored = read_safetensors(os.path.join(a.dir, "diffusion_pytorch_model.safetensors"))
state = {k: stored[ref.diffusers_key(k, cfg["layers_per_block"])].float() for k in model.state_dict()}
if len(state) != len(stored):
    sys.exit(f"the checkpoint has {len(stored)} tensors, CompVis' model {len(state)}")
model.load_state_dict(state, strict=True)
del state, stored
model.eval()
params = sum(p.numel() for p in model.parameters())

golden = read_safetensors(os.path.join(a.dir, "golden.safetensors"))
with torch.no_grad():
    check = model(golden["sample"], golden["timestep"], context=golden["encoder_hidden_states"])
golden_diff = (check - golden["out"]).abs().max().item()

S, B = a.latents, a.batch
inputs_path = os.path.join(a.dir, f"step_inputs_{S}.safetensors")
if not os.path.exists(inputs_path):
    g = torch.Generator().manual_seed(35)
    ref.save_safetensors(inputs_path, {"sample": torch.randn(B, cfg["in_channels"], S, S, generator=g),
                                       "timestep": torch.full((B,), 500.0),
                                       "encoder_hidden_states": torch.randn(B, a.tokens, cfg["cross_attention_dim"], generator=g)})
x = read_safetensors(inputs_path)
sample, timestep, context = (x[k].clone() for k in ("sample", "timestep", "encoder_hidden_states"))

# The same stretches as our split (down levels, mid, up levels, output): a timestamp as each one's last block returns.
L, levels = cfg["layers_per_block"], len(widths)
ends = [model.input_blocks[1 + i * (L + 1) + L - (i == levels - 1)] for i in range(levels)] + [model.middle_block] + \
       [model.output_blocks[i * (L + 1) + L] for i in range(levels)]
marks = []
for m in ends:
    m.register_forward_hook(lambda *_: marks.append(time.perf_counter()))

load_peak = status("VmHWM")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # VmHWM back to the current RSS: the peak below is the steps'
seconds, splits = [], []
with torch.no_grad():
    model(sample, timestep, context=context)  # warm-up
    for r in range(a.reps):
        marks.clear()
        t0 = time.perf_counter()
        out = model(sample, timestep, context=context)
        seconds.append(time.perf_counter() - t0)
        at = [t0] + marks + [t0 + seconds[-1]]
        splits.append([at[k + 1] - at[k] for k in range(len(at) - 1)])
        if r == 0:
            ref.save_safetensors(os.path.join(a.dir, f"step_out_pytorch_{S}.safetensors"), {"out": out})
        del out
print(f"pytorch: torch {torch.__version__} threads {torch.get_num_threads()} mkldnn {torch.backends.mkldnn.is_available()} "
      f"latents [{B},{cfg['in_channels']},{S},{S}] tokens {context.shape[1]} {params / 1e6:.1f} M parameters; CompVis ldm UNetModel, float32")
print(f"golden_check: max |peer - golden| {golden_diff:.2e} on the golden's [2,4,8,8] (the same code made it)")
print("step_seconds: " + ",".join(f"{s:.4f}" for s in seconds))
print(f"split_seconds (down 0-{levels - 1} / mid / up 0-{levels - 1} / norm+conv_out): " +
      " ".join("/".join(f"{v:.3f}" for v in s) for s in splits))
print(f"peak_rss_mb: {status('VmHWM'):.1f}")
print(f"load_peak_rss_mb: {load_peak:.1f}")
