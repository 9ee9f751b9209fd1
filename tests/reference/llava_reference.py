#!/usr/bin/python3
"""Golden outputs for MMInterp's LLaVA (HF LlavaForConditionalGeneration), from independent reference code.

Usage: /usr/bin/python3 tests/reference/llava_reference.py CLIP_CHECKOUT LLAMA_CHECKOUT OUT_DIR [--wide]
  CLIP_CHECKOUT:  a checkout of github.com/openai/CLIP (clip/model.py: the vision tower)
  LLAMA_CHECKOUT: a checkout of github.com/meta-llama/llama (llama/model.py: the decoder)
  OUT_DIR:        tests/reference/golden/llava (what the C# tests read)

The merged sequence is built here as HF's LlavaForConditionalGeneration defines it, from its published formula:
  features  = hidden_states[vision_feature_layer] of the CLIP vision tower (a list of layers: concatenated on the
              feature axis), the class token dropped under vision_feature_select_strategy "default"
  projected = linear_2(gelu(linear_1(features)))              (LlavaMultiModalProjector, projector_hidden_act gelu)
  merged    = token embeddings, the image token's positions replaced by the projected features in order
and run through the decoder. hidden_states[0] is the tower's input (embeddings after ln_pre), hidden_states[i] block
i-1's output: OpenAI's VisionTransformer is run block by block (its own modules: conv1, class_embedding,
positional_embedding, ln_pre, transformer.resblocks). Meta's Transformer takes token ids only, so its layers are run
directly on the merged embeddings, with the mask and rotary frequencies its forward builds (see forward_embeds).

For each case it writes OUT_DIR/<case>/:
  config.json          HF LlavaConfig (vision_config: clip_vision_model, text_config: llama)
  model.safetensors    the weights in HF's layout: "older" (vision_tower.*, multi_modal_projector.*,
                       language_model.model.*, language_model.lm_head.weight) or "newer" (transformers >= 4.52:
                       model.vision_tower.*, model.multi_modal_projector.*, model.language_model.*, lm_head.weight)
  golden.safetensors   input_ids [1,T] (I64, one image token per image), pixel_values [1,3,S,S] (F32),
                       image_features [1,N,D] (F32, projected), logits [1,T-1+N,V] (F32) of the merged sequence,
                       greedy [1,K] (I64; identical with Meta's KV cache and without it, checked here)
  reference.json       the reference files and commits

Cases:
  older_bf16     older keys, BF16 weights; vision_feature_layer -2, "default" (LLaVA-1.5's choices)
  newer_list     newer keys, BF16 weights; vision_feature_layer [-3, -1] (concatenated), "full" (keeps the class token)

With --wide it writes only OUT_DIR/llava7b_one_layer/: LLaVA-1.5-7B's widths (ViT-L/14 at 336 px with 2 blocks, the
1024 -> 4096 projector, one Vicuna-7B decoder layer, vocabulary 32064, 576 image tokens), ~1 GB of BF16: the
benchmark's check at real widths (bench/run-llava-check.sh; too large to commit).

Weights are random and rounded to bf16 so a BF16 file holds exactly what the reference ran.

The committed goldens were made with Debian's torch 1.13 from openai/CLIP at d05afc436d78f1c48dc0dbf8e5980a9d471f35f6
and meta-llama/llama at 689c7f261b9c5514636ecc3c5fefefcbb3e6eed7; rerunning reproduces them byte for byte. The
fairscale stand-ins and the safetensors writer repeat llama_meta_reference.py's (each script stands alone).
"""
import importlib.util, json, os, struct, subprocess, sys, types

import torch
import torch.nn.functional as F
from torch import nn

clip_checkout, llama_checkout, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
torch.set_num_threads(1)


# ---- Meta's llama/model.py imports fairscale's model-parallel layers: plain layers for a world of one ----
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
torch.Tensor.cuda = lambda self, *args, **kwargs: self


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


meta = load(os.path.join(llama_checkout, "llama", "model.py"), "meta_llama2_model")
openai = load(os.path.join(clip_checkout, "clip", "model.py"), "openai_clip_model")


def commit(checkout):
    try:
        return subprocess.check_output(["git", "-C", checkout, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return "unknown"


def bf16(t):
    return t.to(torch.bfloat16).to(torch.float32)


def fill(module, g, skip=()):
    """Random values rounded to bf16: norms near 1, biases small, matrices scaled by fan-in."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if any(s in name for s in skip):
                continue
            if "ln" in name or "norm" in name:
                value = (1 + 0.2 * torch.randn(p.shape, generator=g)) if name.endswith("weight") else 0.1 * torch.randn(p.shape, generator=g)
            elif name.endswith("bias") or p.dim() == 1:
                value = 0.1 * torch.randn(p.shape, generator=g)
            elif "embedding" in name or "tok_embeddings" in name:
                value = torch.randn(p.shape, generator=g) * (0.5 if p.dim() == 2 else 1.0)
            else:
                value = torch.randn(p.shape, generator=g) / (p[0].numel() ** 0.5)
            p.copy_(bf16(value))


# ---- the vision tower: OpenAI's VisionTransformer, block by block ----
def hidden_states(vt, pixels):
    """HF's hidden_states: [input after ln_pre, block 0's output, ...], each [B, 1 + patches, D]."""
    x = vt.conv1(pixels).reshape(pixels.shape[0], vt.conv1.out_channels, -1).permute(0, 2, 1)
    cls = vt.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1])
    x = vt.ln_pre(torch.cat([cls, x], 1) + vt.positional_embedding)
    states = [x]
    h = x.permute(1, 0, 2)  # OpenAI's blocks take [T, B, D]
    for block in vt.transformer.resblocks:
        h = block(h)
        states.append(h.permute(1, 0, 2))
    return states


def vision_hf_state(vt, prefix):
    """OpenAI -> HF CLIPVisionModel keys (as HF's convert_clip_original_pytorch_to_hf.py maps them)."""
    s = {f"{prefix}embeddings.class_embedding": vt.class_embedding,
         f"{prefix}embeddings.patch_embedding.weight": vt.conv1.weight,
         f"{prefix}embeddings.position_embedding.weight": vt.positional_embedding,
         f"{prefix}pre_layrnorm.weight": vt.ln_pre.weight, f"{prefix}pre_layrnorm.bias": vt.ln_pre.bias,
         f"{prefix}post_layernorm.weight": vt.ln_post.weight, f"{prefix}post_layernorm.bias": vt.ln_post.bias}
    for i, b in enumerate(vt.transformer.resblocks):
        p = f"{prefix}encoder.layers.{i}."
        for j, qkv in enumerate("qkv"):
            d = b.attn.embed_dim
            s[p + f"self_attn.{qkv}_proj.weight"] = b.attn.in_proj_weight[j * d:(j + 1) * d]
            s[p + f"self_attn.{qkv}_proj.bias"] = b.attn.in_proj_bias[j * d:(j + 1) * d]
        s[p + "self_attn.out_proj.weight"] = b.attn.out_proj.weight
        s[p + "self_attn.out_proj.bias"] = b.attn.out_proj.bias
        for ours, theirs in (("layer_norm1", b.ln_1), ("layer_norm2", b.ln_2), ("mlp.fc1", b.mlp.c_fc), ("mlp.fc2", b.mlp.c_proj)):
            s[p + ours + ".weight"] = theirs.weight
            s[p + ours + ".bias"] = theirs.bias
    return s


# ---- the decoder: Meta's layers on input embeddings ----
def forward_embeds(model, h, start_pos):
    """Meta's Transformer.forward from its embeddings on: the same freqs_cis slice, mask, layers, norm and head."""
    seqlen = h.shape[1]
    freqs_cis = model.freqs_cis[start_pos:start_pos + seqlen]
    mask = None
    if seqlen > 1:
        mask = torch.triu(torch.full((seqlen, seqlen), float("-inf")), diagonal=1)
        mask = torch.hstack([torch.zeros((seqlen, start_pos)), mask]).type_as(h)
    for layer in model.layers:
        h = layer(h, start_pos, freqs_cis, mask)
    return model.output(model.norm(h)).float()


def greedy(model, merged, steps, cached):
    """Meta's generate loop (argmax) on a prompt given as embeddings."""
    seq, out, prev = merged, [], 0
    for _ in range(steps):
        logits = forward_embeds(model, seq[:, prev:] if cached else seq, prev if cached else 0)
        if cached:
            prev = seq.shape[1]
        token = logits[:, -1].argmax(-1, keepdim=True)
        out.append(token)
        seq = torch.cat([seq, model.tok_embeddings(token)], 1)
    return torch.cat(out, 1)


def permute(w, heads):
    """HF convert_llama_weights_to_hf.py's permutation of wq/wk rows (Meta rotates pairs (2i, 2i+1), HF (i, i+d/2))."""
    return w.reshape(heads, w.shape[0] // heads // 2, 2, w.shape[1]).transpose(1, 2).reshape(w.shape)


def text_hf_state(model, args, prefix):
    kv = args.n_kv_heads or args.n_heads
    s = {f"{prefix}embed_tokens.weight": model.tok_embeddings.weight, f"{prefix}norm.weight": model.norm.weight}
    for i, layer in enumerate(model.layers):
        a, f, p = layer.attention, layer.feed_forward, f"{prefix}layers.{i}."
        s[p + "self_attn.q_proj.weight"] = permute(a.wq.weight, args.n_heads)
        s[p + "self_attn.k_proj.weight"] = permute(a.wk.weight, kv)
        s[p + "self_attn.v_proj.weight"] = a.wv.weight
        s[p + "self_attn.o_proj.weight"] = a.wo.weight
        s[p + "mlp.gate_proj.weight"] = f.w1.weight
        s[p + "mlp.up_proj.weight"] = f.w3.weight
        s[p + "mlp.down_proj.weight"] = f.w2.weight
        s[p + "input_layernorm.weight"] = layer.attention_norm.weight
        s[p + "post_attention_layernorm.weight"] = layer.ffn_norm.weight
    return s


# ---- safetensors by hand (python3-safetensors is not in Debian) ----
DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64"}


def save_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def intermediate(dim, multiple_of, multiplier):
    hidden = int(2 * 4 * dim / 3)
    if multiplier is not None:
        hidden = int(multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


SMALL_TEXT = dict(dim=64, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=96, multiple_of=32, ffn_dim_multiplier=0.5,
                  norm_eps=1e-5, max_batch_size=1, max_seq_len=64)


def run_case(name, layout, dtype, feature_layer, strategy, seed, image=32, patch=8, vwidth=32, vlayers=3, vheads=4,
             prompt=(1, 7, 19, 90, 33, 41, 12, 5), image_token=90, steps=8, text=SMALL_TEXT):
    g = torch.Generator().manual_seed(seed)
    vt = openai.VisionTransformer(input_resolution=image, patch_size=patch, width=vwidth, layers=vlayers, heads=vheads, output_dim=16)
    fill(vt, g)
    args = meta.ModelArgs(**text)
    lm = meta.Transformer(args)
    fill(lm, g)
    layers = feature_layer if isinstance(feature_layer, list) else [feature_layer]
    dtext = args.dim
    proj_in = vwidth * len(layers)
    linear_1, linear_2 = nn.Linear(proj_in, dtext), nn.Linear(dtext, dtext)
    fill(linear_1, g)
    fill(linear_2, g)
    vt.eval(); lm.eval()

    pixels = torch.randn(1, 3, image, image, generator=g)
    ids = torch.tensor([list(prompt)])
    with torch.no_grad():
        states = hidden_states(vt, pixels)
        picked = [states[l] for l in layers]
        if strategy == "default":
            picked = [s[:, 1:] for s in picked]
        features = torch.cat(picked, -1)
        projected = linear_2(F.gelu(linear_1(features)))  # HF LlavaMultiModalProjector
        embeds = lm.tok_embeddings(torch.where(ids == image_token, torch.zeros_like(ids), ids))
        pos = (ids[0] == image_token).nonzero().flatten().tolist()
        assert len(pos) == 1
        merged = torch.cat([embeds[:, :pos[0]], projected, embeds[:, pos[0] + 1:]], 1)
        logits = forward_embeds(lm, merged, 0)
        cached = greedy(lm, merged, steps, cached=True)
        fresh = greedy(lm, merged, steps, cached=False)
    assert torch.equal(cached, fresh), f"{name}: greedy differs with and without Meta's cache"

    if layout == "older":
        vp, pp, lp, head = "vision_tower.vision_model.", "multi_modal_projector.", "language_model.model.", "language_model.lm_head.weight"
    else:
        vp, pp, lp, head = "model.vision_tower.vision_model.", "model.multi_modal_projector.", "model.language_model.", "lm_head.weight"
    state = {**vision_hf_state(vt, vp), **text_hf_state(lm, args, lp), head: lm.output.weight,
             pp + "linear_1.weight": linear_1.weight, pp + "linear_1.bias": linear_1.bias,
             pp + "linear_2.weight": linear_2.weight, pp + "linear_2.bias": linear_2.bias}
    state = {k: v.detach().to(dtype) for k, v in state.items()}

    config = {
        "architectures": ["LlavaForConditionalGeneration"], "model_type": "llava",
        ("image_token_index" if layout == "older" else "image_token_id"): image_token,
        "vision_feature_layer": feature_layer, "vision_feature_select_strategy": strategy,
        "projector_hidden_act": "gelu", "multimodal_projector_bias": True,
        "image_seq_length": projected.shape[1], "torch_dtype": "bfloat16" if dtype == torch.bfloat16 else "float32",
        "vision_config": {"model_type": "clip_vision_model", "hidden_size": vwidth, "intermediate_size": 4 * vwidth,
                          "num_hidden_layers": vlayers, "num_attention_heads": vheads, "image_size": image,
                          "patch_size": patch, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5, "projection_dim": 16},
        "text_config": {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": args.dim,
                        "intermediate_size": intermediate(args.dim, args.multiple_of, args.ffn_dim_multiplier),
                        "num_hidden_layers": args.n_layers, "num_attention_heads": args.n_heads,
                        "num_key_value_heads": args.n_kv_heads or args.n_heads, "vocab_size": args.vocab_size,
                        "rms_norm_eps": args.norm_eps, "rope_theta": 10000.0, "max_position_embeddings": 4096,
                        "hidden_act": "silu", "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2},
    }
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    save_safetensors(os.path.join(d, "model.safetensors"), state)
    save_safetensors(os.path.join(d, "golden.safetensors"), {
        "input_ids": ids, "pixel_values": pixels, "image_features": projected.float(), "logits": logits.float(), "greedy": cached})
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"vision": "openai/CLIP clip/model.py VisionTransformer", "vision_commit": commit(clip_checkout),
                   "decoder": "meta-llama/llama llama/model.py", "decoder_commit": commit(llama_checkout),
                   "projector": "HF LlavaMultiModalProjector: linear_2(gelu(linear_1(x)))", "seed": seed,
                   "torch": torch.__version__}, f, indent=2)
        f.write("\n")
    print(f"{name}: merged {list(merged.shape)}, features {list(projected.shape)}, greedy {cached.tolist()}")


if len(sys.argv) > 4 and sys.argv[4] == "--wide":
    # LLaVA-1.5-7B's widths with few layers (the benchmark's check at real widths; ~1 GB, not committed): CLIP ViT-L/14
    # at 336 px with 2 blocks (layer -2 is block 0's output), the 1024 -> 4096 projector, one Vicuna-7B decoder layer.
    g = torch.Generator().manual_seed(33)
    words = torch.randint(3, 32000, (24,), generator=g).tolist()
    run_case("llava7b_one_layer", "older", torch.bfloat16, -2, "default", seed=32, image=336, patch=14, vwidth=1024,
             vlayers=2, vheads=16, prompt=[1] + words[:5] + [32000] + words[5:], image_token=32000, steps=8,
             text=dict(dim=4096, n_layers=1, n_heads=32, n_kv_heads=None, vocab_size=32064, multiple_of=256,
                       norm_eps=1e-5, max_batch_size=1, max_seq_len=640))
    sys.exit(0)

run_case("older_bf16", "older", torch.bfloat16, -2, "default", seed=30)
run_case("newer_list", "newer", torch.bfloat16, [-3, -1], "full", seed=31)
