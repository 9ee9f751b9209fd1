#!/usr/bin/env python3
"""PyTorch peer for the LLaVA prefill/decode benchmark (issue 20 item 7): the reference code, PyTorch eager, float32.

Usage: llava_prefill_pytorch.py CLIP_CHECKOUT LLAMA_CHECKOUT DIR [--reps 3] [--decode 8] [--threads 2]

DIR is what `tests/reference/llava_reference.py CLIP LLAMA OUT --wide` wrote under OUT/llava7b_one_layer (config.json,
model.safetensors in HF's LLaVA layout, golden.safetensors with input_ids and pixel_values). The model is built from
the reference code the goldens come from: OpenAI's CLIP VisionTransformer (clip/model.py) for the vision tower, HF's
projector formula linear_2(gelu(linear_1(x))), and Meta's Transformer (llama/model.py) for the decoder, every weight
widened to float32 (HF -> OpenAI keys: q/k/v fused into in_proj; HF -> Meta: q/k rows un-permuted).

Prefill = vision tower (blocks up to the deepest feature layer read, as ours runs them) + projector + token embeddings
with the image token widened to the features + Meta's layers, norm and head over the whole merged sequence (logits at
every position, as Meta's forward computes them), filling Meta's KV cache; the first new token is the argmax at the
last position. Decode = K more greedy steps, one position each through Meta's cache. One warm-up (prefill and decode),
then --reps timed repetitions. Prints prefill_seconds, decode_seconds (K steps each), the tokens, and peak_rss_mb
(VmHWM reset after loading, so it is the peak of the work with the weights resident) and load_peak_rss_mb.
"""
import argparse, importlib.util, json, os, struct, sys, time, types

import torch
import torch.nn.functional as F
from torch import nn
from peer_io import read_safetensors, status  # bench/, the script's folder, is on sys.path

p = argparse.ArgumentParser()
p.add_argument("clip_repo")
p.add_argument("llama_repo")
p.add_argument("dir")
p.add_argument("--reps", type=int, default=3)
p.add_argument("--decode", type=int, default=8)
p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
a = p.parse_args()
torch.set_num_threads(a.threads)


# Meta's llama/model.py imports fairscale's model-parallel layers: plain layers for a world of one (as the reference does).
def _linear(in_features, out_features, bias=True, **_):
    return nn.Linear(in_features, out_features, bias=bias)


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


for n in ("fairscale", "fairscale.nn", "fairscale.nn.model_parallel"):
    _module(n)
_module("fairscale.nn.model_parallel.initialize", get_model_parallel_world_size=lambda: 1)
_module("fairscale.nn.model_parallel.layers", ColumnParallelLinear=_linear, RowParallelLinear=_linear,
        ParallelEmbedding=lambda n, d, **_: nn.Embedding(n, d))
torch.Tensor.cuda = lambda self, *args, **kwargs: self  # Meta's cache calls .cuda(); this is a CPU run


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


meta = load(os.path.join(a.llama_repo, "llama", "model.py"), "meta_llama2_model")
openai = load(os.path.join(a.clip_repo, "clip", "model.py"), "openai_clip_model")




with open(os.path.join(a.dir, "config.json")) as f:
    cfg = json.load(f)
vc, tc = cfg["vision_config"], cfg["text_config"]
if cfg.get("vision_feature_select_strategy", "default") != "default" or isinstance(cfg.get("vision_feature_layer", -2), list):
    sys.exit("this peer handles one vision_feature_layer and the 'default' strategy (LLaVA-1.5's choices)")
if tc.get("rope_theta", 10000.0) != 10000.0 or tc.get("tie_word_embeddings", False):
    sys.exit("Meta's Transformer fixes rope_theta 10000 and an untied head; the config disagrees")
image_token = cfg.get("image_token_index", cfg.get("image_token_id"))
hf = read_safetensors(os.path.join(a.dir, "model.safetensors"))
golden = read_safetensors(os.path.join(a.dir, "golden.safetensors"))
ids, pixels = golden["input_ids"].clone(), golden["pixel_values"].clone().float()
del golden
# Older (vision_tower.*, language_model.model.*) or newer (model.vision_tower.*, model.language_model.*) keys.
older = any(k.startswith("vision_tower.") for k in hf)
vp, pp = ("vision_tower.vision_model.", "multi_modal_projector.") if older else ("model.vision_tower.vision_model.", "model.multi_modal_projector.")
lp, head = ("language_model.model.", "language_model.lm_head.weight") if older else ("model.language_model.", "lm_head.weight")

# ---- the vision tower: OpenAI's VisionTransformer with HF's CLIPVisionModel weights ----
vlayers, vwidth = vc["num_hidden_layers"], vc["hidden_size"]
feature_layer = cfg.get("vision_feature_layer", -2)
index = feature_layer if feature_layer >= 0 else vlayers + 1 + feature_layer  # HF hidden_states index
vt = openai.VisionTransformer(input_resolution=vc["image_size"], patch_size=vc["patch_size"], width=vwidth,
                              layers=vlayers, heads=vc["num_attention_heads"], output_dim=vc.get("projection_dim", 768))
if vc.get("intermediate_size", 4 * vwidth) != 4 * vwidth or vc.get("hidden_act", "quick_gelu") != "quick_gelu":
    sys.exit("OpenAI's CLIP fixes a 4x QuickGELU MLP; the config disagrees")
vs = {"class_embedding": hf[vp + "embeddings.class_embedding"], "conv1.weight": hf[vp + "embeddings.patch_embedding.weight"],
      "positional_embedding": hf[vp + "embeddings.position_embedding.weight"], "proj": vt.proj.detach(),
      "ln_pre.weight": hf[vp + "pre_layrnorm.weight"], "ln_pre.bias": hf[vp + "pre_layrnorm.bias"],
      "ln_post.weight": hf[vp + "post_layernorm.weight"], "ln_post.bias": hf[vp + "post_layernorm.bias"]}
for i in range(vlayers):
    s, d = f"{vp}encoder.layers.{i}.", f"transformer.resblocks.{i}."
    vs[d + "attn.in_proj_weight"] = torch.cat([hf[s + f"self_attn.{x}_proj.weight"] for x in "qkv"], 0)
    vs[d + "attn.in_proj_bias"] = torch.cat([hf[s + f"self_attn.{x}_proj.bias"] for x in "qkv"], 0)
    for ours, theirs in (("self_attn.out_proj", "attn.out_proj"), ("layer_norm1", "ln_1"), ("layer_norm2", "ln_2"), ("mlp.fc1", "mlp.c_fc"), ("mlp.fc2", "mlp.c_proj")):
        for w in ("weight", "bias"):
            vs[f"{d}{theirs}.{w}"] = hf[f"{s}{ours}.{w}"]
vt.load_state_dict({k: v.float() for k, v in vs.items()})
del vs

# ---- the projector: HF's formula on plain fp32 linears ----
linear_1 = nn.Linear(*reversed(hf[pp + "linear_1.weight"].shape))
linear_2 = nn.Linear(*reversed(hf[pp + "linear_2.weight"].shape))
for lin, name in ((linear_1, "linear_1"), (linear_2, "linear_2")):
    lin.load_state_dict({"weight": hf[f"{pp}{name}.weight"].float(), "bias": hf[f"{pp}{name}.bias"].float()})

# ---- the decoder: Meta's Transformer with HF's LlamaForCausalLM weights (q/k rows un-permuted) ----
dim, inter = tc["hidden_size"], tc["intermediate_size"]
base = int(2 * 4 * dim / 3)
# Meta derives the MLP width from multiple_of/ffn_dim_multiplier: these reproduce intermediate_size exactly.
multiplier = None if base <= inter else (inter - 0.5) / base
args = meta.ModelArgs(dim=dim, n_layers=tc["num_hidden_layers"], n_heads=tc["num_attention_heads"],
                      n_kv_heads=tc.get("num_key_value_heads"), vocab_size=tc["vocab_size"], multiple_of=inter,
                      ffn_dim_multiplier=multiplier, norm_eps=tc.get("rms_norm_eps", 1e-6), max_batch_size=1,
                      max_seq_len=ids.shape[1] - 1 + cfg.get("image_seq_length", 576) + a.decode + 2)
lm = meta.Transformer(args)
if lm.layers[0].feed_forward.w1.weight.shape[0] != inter:
    sys.exit(f"could not reproduce intermediate_size {inter} with Meta's ModelArgs")
kv = args.n_kv_heads or args.n_heads


def unpermute(w, heads):
    """Inverse of HF convert_llama_weights_to_hf.py's permute: HF rotates (i, i+d/2), Meta pairs (2i, 2i+1)."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, w.shape[1]).transpose(1, 2).reshape(w.shape)


ms = {"tok_embeddings.weight": hf[lp + "embed_tokens.weight"], "norm.weight": hf[lp + "norm.weight"], "output.weight": hf[head]}
for i in range(args.n_layers):
    s, d = f"{lp}layers.{i}.", f"layers.{i}."
    ms[d + "attention.wq.weight"] = unpermute(hf[s + "self_attn.q_proj.weight"], args.n_heads)
    ms[d + "attention.wk.weight"] = unpermute(hf[s + "self_attn.k_proj.weight"], kv)
    for theirs, ours in (("attention.wv", "self_attn.v_proj"), ("attention.wo", "self_attn.o_proj"), ("feed_forward.w1", "mlp.gate_proj"),
                         ("feed_forward.w3", "mlp.up_proj"), ("feed_forward.w2", "mlp.down_proj"),
                         ("attention_norm", "input_layernorm"), ("ffn_norm", "post_attention_layernorm")):
        ms[f"{d}{theirs}.weight"] = hf[f"{s}{ours}.weight"]
missing, unexpected = lm.load_state_dict({k: v.float() for k, v in ms.items()}, strict=False)
if unexpected or any(not m.endswith("freqs_cis") for m in missing):
    sys.exit(f"Meta's Transformer: missing {missing}, unexpected {unexpected}")
del ms, hf
vt.eval(); lm.eval()
load_peak = status("VmHWM")


def forward_embeds(h, start_pos):
    """Meta's Transformer.forward from its embeddings on (it takes token ids only): same freqs_cis slice, mask, layers."""
    seqlen = h.shape[1]
    freqs_cis = lm.freqs_cis[start_pos:start_pos + seqlen]
    mask = None
    if seqlen > 1:
        mask = torch.triu(torch.full((seqlen, seqlen), float("-inf")), diagonal=1)
        mask = torch.hstack([torch.zeros((seqlen, start_pos)), mask]).type_as(h)
    for layer in lm.layers:
        h = layer(h, start_pos, freqs_cis, mask)
    return lm.output(lm.norm(h)).float()


def merged_embeddings():
    """Vision tower to the feature layer (OpenAI's modules, block by block), projector, token embeddings spliced."""
    x = vt.conv1(pixels).reshape(pixels.shape[0], vt.conv1.out_channels, -1).permute(0, 2, 1)
    cls = vt.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
    h = vt.ln_pre(torch.cat([cls, x], 1) + vt.positional_embedding).permute(1, 0, 2)  # OpenAI's blocks take [T, B, D]
    for block in vt.transformer.resblocks[:index]:
        h = block(h)
    features = h.permute(1, 0, 2)[:, 1:]  # "default": the class token dropped
    projected = linear_2(F.gelu(linear_1(features)))
    embeds = lm.tok_embeddings(torch.where(ids == image_token, torch.zeros_like(ids), ids))
    at = (ids[0] == image_token).nonzero().flatten().tolist()
    assert len(at) == 1, "one image token expected"
    return torch.cat([embeds[:, :at[0]], projected, embeds[:, at[0] + 1:]], 1)


def run(steps):
    t0 = time.perf_counter()
    merged = merged_embeddings()
    image = time.perf_counter() - t0
    h = merged  # forward_embeds in its two parts, timed apart: the layers, then the final norm and head
    freqs_cis, seqlen = lm.freqs_cis[0:merged.shape[1]], merged.shape[1]
    mask = torch.triu(torch.full((seqlen, seqlen), float("-inf")), diagonal=1).type_as(h)
    for layer in lm.layers:
        h = layer(h, 0, freqs_cis, mask)
    layers = time.perf_counter() - t0 - image
    logits = lm.output(lm.norm(h)).float()
    token = logits[:, -1].argmax(-1, keepdim=True)
    prefill = time.perf_counter() - t0
    split.append((image, layers, prefill - image - layers))
    tokens, pos = [token.item()], merged.shape[1]
    t0 = time.perf_counter()
    for _ in range(steps):
        logits = forward_embeds(lm.tok_embeddings(token), pos)
        pos += 1
        token = logits[:, -1].argmax(-1, keepdim=True)
        tokens.append(token.item())
    return merged.shape[1], prefill, time.perf_counter() - t0, tokens


split = []
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset VmHWM: the peak below is the work's, with the weights resident
prefills, decodes = [], []
with torch.no_grad():
    run(1)  # warm-up
    for _ in range(a.reps):
        merged_len, prefill, decode, tokens = run(a.decode)
        prefills.append(prefill)
        decodes.append(decode)
print(f"pytorch: torch {torch.__version__} threads {torch.get_num_threads()} merged_tokens {merged_len} decode_steps {a.decode} "
      f"decoder {dim}x{args.n_layers} vision {vwidth}x{index}/{vlayers} blocks run; float32")
print("prefill_seconds: " + ",".join(f"{t:.4f}" for t in prefills))
print("decode_seconds: " + ",".join(f"{t:.4f}" for t in decodes))
print("prefill_split_seconds (image+projector+splice / decoder layers / norm+head): " + " ".join(f"{i:.3f}/{l:.3f}/{h:.3f}" for i, l, h in split[1:]))
print("tokens: " + ",".join(str(t) for t in tokens))
print(f"peak_rss_mb: {status('VmHWM'):.1f}")
print(f"load_peak_rss_mb: {load_peak:.1f}")
