#!/usr/bin/python3
"""Golden outputs for MMInterp's Llama-family decoder, from Meta's own reference implementations.

Usage: /usr/bin/python3 tests/reference/llama_meta_reference.py LLAMA_CHECKOUT LLAMA_MODELS_CHECKOUT OUT_DIR [--wide]
  LLAMA_CHECKOUT:        a checkout of github.com/meta-llama/llama (llama/model.py: the Llama 2 reference)
  LLAMA_MODELS_CHECKOUT: a checkout of github.com/meta-llama/llama-models (models/llama3/model.py: the Llama 3
                         reference, which adds rope_theta and Llama 3.1's scaled rotary frequencies)
  OUT_DIR:               tests/reference/golden (what the C# tests read)

For each case it writes OUT_DIR/<case>/:
  config.json          HF LlamaConfig / Qwen2Config of the small random model
  model.safetensors    its weights in HF's layout and names, stored as BF16 (the reference ran on the same values)
  golden.safetensors   input_ids [B,T] (I64), logits [B,T,V] (F32) of the reference forward, greedy [B,N] (I64): the
                       reference's greedy continuation (identical with its KV cache and without it; checked here)
  reference.json       which reference file and commit produced it

Cases:
  llama2_gqa          llama/model.py; 3 layers, 4 heads sharing 2 key/value heads, untied head, rope_theta 10000
  llama3_scaled_tied  models/llama3/model.py with use_scaled_rope (HF rope_scaling "llama3", factor 8, low 1,
                      high 4, original 8192: the values that reference hard-codes), rope_theta 500000, tied head,
                      8 heads sharing 2 key/value heads, a prompt long enough that the scaling changes the logits
  qwen2_bias          models/llama3/model.py with biases added (by this script) to wq/wk/wv, as Qwen2 has them;
                      rope_theta 1e6, one key/value head for 4 query heads

With --wide it writes only OUT_DIR/llava7b_one_layer/: one decoder layer at LLaVA-1.5-7B's language-model widths
(Vicuna-7B: hidden 4096, 32 heads, intermediate 11008, vocabulary 32064), from llama/model.py, ~0.9 GB of BF16 weights:
the benchmark's correctness check at real widths (bench/run-llama-check.sh; too large to commit).

HF's "linear" and "dynamic" rope_scaling have no Meta reference; the C# tests check them against HF's formulas.

Meta's files import fairscale for model-parallel layers; this script puts plain torch layers in its place before
loading them (no code of theirs is copied), and makes .cuda() a no-op so they run on the CPU.

Weights in HF layout: Meta's rotary embedding turns channel pairs (2i, 2i+1); HF's rotate_half turns (i, i + d/2).
HF's convert_llama_weights_to_hf.py permutes wq and wk (per head: view(heads, d/2, 2, in).transpose(1, 2)) so the
two agree; this script applies that same permutation (and to the q/k biases of the Qwen2 case).

The committed goldens were made with Debian's torch 1.13 from meta-llama/llama at
689c7f261b9c5514636ecc3c5fefefcbb3e6eed7 and meta-llama/llama-models at a9c89c471f793423afd4cc3ca8671d6e56fe64cb.
"""
import importlib.util, json, os, struct, subprocess, sys, types

import torch
from torch import nn

llama_checkout, models_checkout, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
torch.set_num_threads(1)


# ---- stand-ins for fairscale's model-parallel layers (a world of one) and for CUDA ----
def _column_parallel_linear(in_features, out_features, bias=True, **_):
    return nn.Linear(in_features, out_features, bias=bias)


def _parallel_embedding(num_embeddings, embedding_dim, **_):
    return nn.Embedding(num_embeddings, embedding_dim)


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


_module("fairscale")
_module("fairscale.nn")
_module("fairscale.nn.model_parallel")
_module("fairscale.nn.model_parallel.initialize", get_model_parallel_world_size=lambda: 1)
_module("fairscale.nn.model_parallel.layers", ColumnParallelLinear=_column_parallel_linear,
        RowParallelLinear=_column_parallel_linear, ParallelEmbedding=_parallel_embedding,
        VocabParallelEmbedding=_parallel_embedding)
torch.Tensor.cuda = lambda self, *args, **kwargs: self


def load(path, name, package=None):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    if package is not None:
        m.__package__ = package
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


llama2 = load(os.path.join(llama_checkout, "llama", "model.py"), "meta_llama2_model")
# models/llama3/model.py imports ModelArgs from .args: give it a package of its own directory (not the package's
# __init__, which pulls in tokenizer and generation dependencies).
llama3_dir = os.path.join(models_checkout, "models", "llama3")
pkg = _module("meta_llama3")
pkg.__path__ = [llama3_dir]
load(os.path.join(llama3_dir, "args.py"), "meta_llama3.args", "meta_llama3")
llama3 = load(os.path.join(llama3_dir, "model.py"), "meta_llama3.model", "meta_llama3")


def commit(checkout):
    try:
        return subprocess.check_output(["git", "-C", checkout, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return "unknown"


# ---- random weights, rounded to bf16 so the stored checkpoint holds exactly what the reference ran ----
def fill(model, seed, qkv_bias, embed_std):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if qkv_bias:
            for layer in model.layers:
                a = layer.attention
                for name in ("wq", "wk", "wv"):
                    old = getattr(a, name)
                    setattr(a, name, nn.Linear(old.in_features, old.out_features, bias=True))
        for name, p in model.named_parameters():
            if "norm" in name:
                value = 1 + 0.2 * torch.randn(p.shape, generator=g)
            elif name.endswith("bias"):
                value = 0.3 * torch.randn(p.shape, generator=g)
            elif "tok_embeddings" in name:
                value = embed_std * torch.randn(p.shape, generator=g)
            else:
                value = torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5
            p.copy_(value.to(torch.bfloat16).to(torch.float32))


def permute(w, heads):
    """HF convert_llama_weights_to_hf.py's permutation of wq/wk rows (biases: a trailing dimension of 1)."""
    rows = w.shape[0]
    cols = w.shape[1] if w.dim() == 2 else 1
    return w.reshape(heads, rows // heads // 2, 2, cols).transpose(1, 2).reshape(w.shape)


def hf_state(model, args, tied):
    heads, kv_heads = args.n_heads, args.n_kv_heads or args.n_heads
    s = {"model.embed_tokens.weight": model.tok_embeddings.weight, "model.norm.weight": model.norm.weight}
    if not tied:
        s["lm_head.weight"] = model.output.weight
    for i, layer in enumerate(model.layers):
        a, f, p = layer.attention, layer.feed_forward, f"model.layers.{i}."
        s[p + "self_attn.q_proj.weight"] = permute(a.wq.weight, heads)
        s[p + "self_attn.k_proj.weight"] = permute(a.wk.weight, kv_heads)
        s[p + "self_attn.v_proj.weight"] = a.wv.weight
        s[p + "self_attn.o_proj.weight"] = a.wo.weight
        if a.wq.bias is not None:
            s[p + "self_attn.q_proj.bias"] = permute(a.wq.bias, heads)
            s[p + "self_attn.k_proj.bias"] = permute(a.wk.bias, kv_heads)
            s[p + "self_attn.v_proj.bias"] = a.wv.bias
        s[p + "mlp.gate_proj.weight"] = f.w1.weight
        s[p + "mlp.up_proj.weight"] = f.w3.weight
        s[p + "mlp.down_proj.weight"] = f.w2.weight
        s[p + "input_layernorm.weight"] = layer.attention_norm.weight
        s[p + "post_attention_layernorm.weight"] = layer.ffn_norm.weight
    return {k: v.detach().clone() for k, v in s.items()}


# ---- safetensors, written by hand (python3-safetensors is not in Debian) ----
DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64"}


def save_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
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


# ---- greedy decoding the way Meta's generate drives the model ----
def greedy(model, prompt, steps, cached):
    tokens = prompt.clone()
    prev = 0
    for _ in range(steps):
        if cached:
            logits = model(tokens[:, prev:], prev)
            prev = tokens.shape[1]
        else:
            logits = model(tokens, 0)
        tokens = torch.cat([tokens, logits[:, -1].argmax(-1, keepdim=True)], 1)
    return tokens[:, prompt.shape[1]:]


def intermediate(dim, multiple_of, multiplier):
    """FeedForward's hidden size for TransformerBlock's 4 * dim (what HF's intermediate_size must then be)."""
    hidden = int(2 * 4 * dim / 3)
    if multiplier is not None:
        hidden = int(multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def run_case(name, module, source, args, hf, tied, qkv_bias, prompt_len, steps, seed, check_scaling=False):
    model = module.Transformer(args)
    # A tied head reads the residual through the embeddings: smaller ones keep the layers' writes from being drowned
    # by the current token's own embedding (which would make the greedy continuation repeat that token).
    fill(model, seed, qkv_bias, embed_std=0.25 if tied else 1.0)
    if tied:
        model.output.weight = model.tok_embeddings.weight
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(0, args.vocab_size, (args.max_batch_size, prompt_len), generator=g)
    logits = model(ids, 0).clone()
    cached = greedy(model, ids, steps, cached=True)
    fresh = greedy(model, ids, steps, cached=False)
    assert torch.equal(cached, fresh), f"{name}: the reference's greedy tokens differ with and without its cache"
    if check_scaling:
        # The case exists to test the scaled frequencies: they must move the logits well beyond the test tolerance.
        plain = module.Transformer(args)
        plain.load_state_dict(model.state_dict())
        plain.freqs_cis = module.precompute_freqs_cis(args.dim // args.n_heads, args.max_seq_len * 2, args.rope_theta, False)
        moved = (plain(ids, 0) - logits).abs().max().item()
        assert moved > 1e-2, f"{name}: scaling moves the logits by only {moved}"
        print(f"{name}: rope scaling moves the logits by up to {moved:.4f}")

    head_dim = args.dim // args.n_heads
    config = {
        "architectures": ["Qwen2ForCausalLM" if hf["model_type"] == "qwen2" else "LlamaForCausalLM"],
        "hidden_size": args.dim, "intermediate_size": intermediate(args.dim, args.multiple_of, args.ffn_dim_multiplier),
        "num_hidden_layers": args.n_layers, "num_attention_heads": args.n_heads,
        "num_key_value_heads": args.n_kv_heads or args.n_heads, "vocab_size": args.vocab_size,
        "rms_norm_eps": args.norm_eps, "hidden_act": "silu", "tie_word_embeddings": tied, "torch_dtype": "bfloat16",
        "bos_token_id": 1, "eos_token_id": 2, **hf,
    }
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    save_safetensors(os.path.join(d, "model.safetensors"),
                     {k: v.to(torch.bfloat16) for k, v in hf_state(model, args, tied).items()})
    save_safetensors(os.path.join(d, "golden.safetensors"), {"input_ids": ids, "logits": logits.float(), "greedy": cached})
    checkout = llama_checkout if module is llama2 else models_checkout
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"reference": source, "commit": commit(checkout), "head_dim": head_dim, "seed": seed,
                   "torch": torch.__version__}, f, indent=2)
        f.write("\n")
    print(f"{name}: ids {list(ids.shape)}, greedy {cached.tolist()}")


if len(sys.argv) > 4 and sys.argv[4] == "--wide":
    run_case("llava7b_one_layer", llama2, "meta-llama/llama llama/model.py",
             llama2.ModelArgs(dim=4096, n_layers=1, n_heads=32, n_kv_heads=None, vocab_size=32064, multiple_of=256,
                              norm_eps=1e-5, max_batch_size=1, max_seq_len=48),
             {"model_type": "llama", "rope_theta": 10000.0, "max_position_embeddings": 4096, "rope_scaling": None},
             tied=False, qkv_bias=False, prompt_len=32, steps=8, seed=23)
    sys.exit(0)

run_case("llama2_gqa", llama2, "meta-llama/llama llama/model.py",
         llama2.ModelArgs(dim=64, n_layers=3, n_heads=4, n_kv_heads=2, vocab_size=96, multiple_of=32,
                          ffn_dim_multiplier=0.5, norm_eps=1e-5, max_batch_size=2, max_seq_len=24),
         {"model_type": "llama", "rope_theta": 10000.0, "max_position_embeddings": 2048, "rope_scaling": None},
         tied=False, qkv_bias=False, prompt_len=9, steps=8, seed=20)

run_case("llama3_scaled_tied", llama3, "meta-llama/llama-models models/llama3/model.py",
         llama3.ModelArgs(dim=64, n_layers=2, n_heads=8, n_kv_heads=2, vocab_size=80, multiple_of=32,
                          ffn_dim_multiplier=0.5, norm_eps=1e-5, rope_theta=500000.0, use_scaled_rope=True,
                          max_batch_size=2, max_seq_len=80),
         {"model_type": "llama", "rope_theta": 500000.0, "max_position_embeddings": 131072,
          "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                           "original_max_position_embeddings": 8192}},
         tied=True, qkv_bias=False, prompt_len=64, steps=8, seed=21, check_scaling=True)

run_case("qwen2_bias", llama3, "meta-llama/llama-models models/llama3/model.py (+ q/k/v biases)",
         llama3.ModelArgs(dim=64, n_layers=2, n_heads=4, n_kv_heads=1, vocab_size=96, multiple_of=32,
                          ffn_dim_multiplier=0.5, norm_eps=1e-6, rope_theta=1000000.0, use_scaled_rope=False,
                          max_batch_size=2, max_seq_len=24),
         {"model_type": "qwen2", "rope_theta": 1000000.0, "max_position_embeddings": 32768,
          "use_sliding_window": False},
         tied=False, qkv_bias=True, prompt_len=9, steps=8, seed=22)
