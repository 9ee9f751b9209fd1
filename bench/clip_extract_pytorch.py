#!/usr/bin/env python3
"""Reference peer for the CLIP extraction benchmark: OpenAI's own CLIP code (clip/model.py), PyTorch eager.

Usage: clip_extract_pytorch.py OPENAI_CLIP_CHECKOUT WORK_DIR [--hook-block 6] [--batch 64] [--reps 3] [--threads 2]

WORK_DIR holds what `MMInterp.Bench clip` wrote: model.safetensors (HF CLIPModel keys, read by hand: Debian has
no python safetensors package) and images.u8 (raw uint8 [N, 3, H, W]). The HF weights are mapped onto
OpenAI's CLIP (q/k/v fused into in_proj, projections transposed) and kept in fp32 (build_model would halve them).
Extraction = the vision tower over all N images in batches, a forward hook on visual.transformer.resblocks[k]
keeping its output as [images * tokens, width] rows, like `extract` at vision.blocks.k.hook_resid_post.
Prints `rep_seconds: a,b,...`, `peak_rss_mb: X` (VmHWM reset after loading and one warm-up batch, so it is the
peak during extraction), `load_peak_rss_mb`, and writes torch_embeds.safetensors (image embeddings of the first
batch) for the correctness smoke.
"""
import argparse, importlib.util, json, os, struct, sys, time
import torch
from peer_io import read_safetensors, status  # bench/, the script's folder, is on sys.path


p = argparse.ArgumentParser()
p.add_argument("clip_repo")
p.add_argument("work")
p.add_argument("--hook-block", type=int, default=6)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--reps", type=int, default=3)
p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
a = p.parse_args()
# OpenAI's clip/model.py from the checkout given, loaded alone: the package's __init__ pulls in its tokenizer and
# download helpers (ftfy, regex, packaging), which the model does not need.
_spec = importlib.util.spec_from_file_location("openai_clip_model", os.path.join(a.clip_repo, "clip", "model.py"))
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
CLIP = _module.CLIP

torch.set_num_threads(a.threads)
MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)




def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def openai_state(hf):
    """HF CLIPModel keys -> OpenAI CLIP keys."""
    sd = {}

    def tower(src, dst, layers):
        for i in range(layers):
            s, d = f"{src}.encoder.layers.{i}", f"{dst}.resblocks.{i}"
            sd[f"{d}.attn.in_proj_weight"] = torch.cat([hf[f"{s}.self_attn.{x}_proj.weight"] for x in "qkv"], 0)
            sd[f"{d}.attn.in_proj_bias"] = torch.cat([hf[f"{s}.self_attn.{x}_proj.bias"] for x in "qkv"], 0)
            for a_, b_ in [("self_attn.out_proj", "attn.out_proj"), ("layer_norm1", "ln_1"), ("layer_norm2", "ln_2"), ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj")]:
                for w in ("weight", "bias"):
                    sd[f"{d}.{b_}.{w}"] = hf[f"{s}.{a_}.{w}"]

    vl = len({k.split(".")[3] for k in hf if k.startswith("vision_model.encoder.layers.")})
    tl = len({k.split(".")[3] for k in hf if k.startswith("text_model.encoder.layers.")})
    tower("vision_model", "visual.transformer", vl)
    tower("text_model", "transformer", tl)
    sd["visual.class_embedding"] = hf["vision_model.embeddings.class_embedding"]
    sd["visual.conv1.weight"] = hf["vision_model.embeddings.patch_embedding.weight"]
    sd["visual.positional_embedding"] = hf["vision_model.embeddings.position_embedding.weight"]
    for a_, b_ in [("pre_layrnorm", "ln_pre"), ("post_layernorm", "ln_post")]:
        for w in ("weight", "bias"):
            sd[f"visual.{b_}.{w}"] = hf[f"vision_model.{a_}.{w}"]
    sd["visual.proj"] = hf["visual_projection.weight"].t()
    sd["token_embedding.weight"] = hf["text_model.embeddings.token_embedding.weight"]
    sd["positional_embedding"] = hf["text_model.embeddings.position_embedding.weight"]
    for w in ("weight", "bias"):
        sd[f"ln_final.{w}"] = hf[f"text_model.final_layer_norm.{w}"]
    sd["text_projection"] = hf["text_projection.weight"].t()
    sd["logit_scale"] = hf["logit_scale"]
    return sd, vl, tl


with open(os.path.join(a.work, "config.json")) as f:
    cfg = json.load(f)
vc, tc = cfg["vision_config"], cfg["text_config"]
hf = read_safetensors(os.path.join(a.work, "model.safetensors"))
sd, vl, tl = openai_state(hf)
with torch.no_grad():
    model = CLIP(cfg["projection_dim"], vc["image_size"], vl, vc["hidden_size"], vc["patch_size"],
                 tc.get("max_position_embeddings", 77), tc.get("vocab_size", 49408), tc["hidden_size"], tc["num_attention_heads"], tl)
    if vc["hidden_size"] // 64 != vc["num_attention_heads"]:
        sys.exit("OpenAI's CLIP fixes vision heads at width/64; the config disagrees")
    model.load_state_dict({k: v.to(torch.float32) for k, v in sd.items()})
del hf, sd
model.eval()
with open(os.path.join(a.work, "images.u8"), "rb") as f:
    images = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).view(-1, 3, vc["image_size"], vc["image_size"])
load_peak = status("VmHWM")

rows = []
model.visual.transformer.resblocks[a.hook_block].register_forward_hook(
    lambda m, i, out: rows.append(out.detach().permute(1, 0, 2).reshape(-1, out.shape[-1])))  # LND -> [N*L, D] (a copy)


def pixels(at, n):
    return images[at:at + n].to(torch.float32).div(255).sub(MEAN).div(STD)


def extract():
    rows.clear()
    with torch.no_grad():
        for at in range(0, images.shape[0], a.batch):
            model.encode_image(pixels(at, min(a.batch, images.shape[0] - at)))
    out = torch.cat(rows, 0)
    rows.clear()
    return out


with torch.no_grad():
    embeds = model.encode_image(pixels(0, min(a.batch, images.shape[0])))  # also the warm-up
write_safetensors(os.path.join(a.work, "torch_embeds.safetensors"), {"embeds": embeds})
rows.clear()
del embeds
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM: the peak below is the extraction's
times = []
for r in range(a.reps):
    t0 = time.perf_counter()
    out = extract()
    times.append(time.perf_counter() - t0)
    del out
print(f"torch_version: {torch.__version__} threads: {torch.get_num_threads()} images: {images.shape[0]} batch: {a.batch} rows_per_rep: {images.shape[0] * (vc['image_size'] // vc['patch_size']) ** 2 + images.shape[0]}")
print("rep_seconds: " + ",".join(f"{t:.4f}" for t in times))
print(f"peak_rss_mb: {status('VmHWM'):.1f}")
print(f"load_peak_rss_mb: {load_peak:.1f}")
