#!/usr/bin/python3
"""Golden outputs for MMInterp's HF-layout CLIP loader and tokenizer, from OpenAI's own CLIP code.

Usage: /usr/bin/python3 tests/reference/clip_openai_reference.py CLIP_CHECKOUT OUT_DIR
  CLIP_CHECKOUT: a checkout of the openai/CLIP repository (clip/model.py, clip/simple_tokenizer.py,
                 clip/bpe_simple_vocab_16e6.txt.gz, data/prompts.md, notebooks/Prompt_Engineering_for_ImageNet.ipynb)
  OUT_DIR:       tests/MMInterp.Kernels.Tests/Clip/Reference (what the C# tests read)

Writes:
  clip_openai_model.json                the small CLIP's shape, the HF key -> shape/dtype list, the weight formula's name
  clip_openai_embeddings.safetensors    pixels, input_ids, image_embeds, text_embeds, logits_per_image (fp32/int64)
  clip_openai_tokens.jsonl              {"text", "ids"} for every prompt, ids from simple_tokenizer (no padding)
  clip_bpe_subset/vocab.json, merges.txt  HF-format tokenizer files derived from bpe_simple_vocab_16e6.txt.gz,
                                        keeping only the merges these prompts use (see subset_tokenizer)

The committed goldens were made from openai/CLIP at d05afc436d78f1c48dc0dbf8e5980a9d471f35f6 with Debian's torch 1.13;
rerunning the script on that checkout reproduces them byte for byte.

Weights come from a formula (hf_value below) that the C# test reproduces bit for bit, so no weights are committed.
Needs Debian's python3-torch and python3-regex. ftfy (imported by simple_tokenizer) is neither in Debian nor
reachable here; a stub whose fix_text returns its input stands in, and the prompts avoid what ftfy would change
(curly quotes, mojibake, ligatures, full-width forms): see the C# tokenizer's remarks.
"""
import ast, gzip, json, math, os, re, struct, sys, types

import numpy as np
import torch

checkout, out_dir = sys.argv[1], sys.argv[2]
sys.modules["ftfy"] = types.SimpleNamespace(fix_text=lambda text: text)  # see the docstring


def load(module):
    """clip/<module>.py by path: the package's __init__ pulls in clip.py and its download dependencies."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"openai_clip_{module}", os.path.join(checkout, "clip", module + ".py"))
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


CLIP = load("model").CLIP
SimpleTokenizer = load("simple_tokenizer").SimpleTokenizer

torch.set_num_threads(1)
FORMULA = "fnv1a32-lowbias32/v1"

# ---- the small model: OpenAI's ViT CLIP with the full vocabulary and context ----
ARCH = dict(embed_dim=32, image_resolution=32, vision_layers=2, vision_width=128, vision_patch_size=8,
            context_length=77, vocab_size=49408, transformer_width=64, transformer_heads=2, transformer_layers=2)


def fnv1a32(name):
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def unit(name, n):
    """n values in [-1, 1): a 32-bit integer hash of (name, flat index), as doubles."""
    x = (np.uint64(fnv1a32(name)) + np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)
    for _ in range(2):
        x = (((x >> np.uint64(16)) ^ x) * np.uint64(0x45D9F3B)) & np.uint64(0xFFFFFFFF)
    x = (x >> np.uint64(16)) ^ x
    return x.astype(np.float64) / 4294967296.0 * 2.0 - 1.0


def is_norm(name):
    return "norm" in name or "layrnorm" in name


def storage_dtype(name):
    """How the C# test stores each tensor, so a checkpoint mixes dtypes as real ones do; values are rounded to it."""
    if name.endswith(".bias"):
        return "BF16"
    if is_norm(name):
        return "F16"
    return "F32"


def hf_value(name, shape):
    n = int(np.prod(shape))
    s = unit(name, n)
    if name == "logit_scale":
        v = np.full(n, 2.6592)
    elif is_norm(name) and name.endswith(".weight"):
        v = 1.0 + 0.25 * s
    elif name.endswith(".bias"):
        v = 0.1 * s
    elif "embedding" in name:
        v = 0.5 * s
    else:
        fan_in = n // shape[0]
        v = s * math.sqrt(3.0 / fan_in)
    t = torch.from_numpy(v.astype(np.float32)).reshape(shape)
    rounded = {"F32": t, "F16": t.half().float(), "BF16": t.bfloat16().float()}
    return rounded[storage_dtype(name)]


# ---- OpenAI <-> HF keys (as HF's convert_clip_original_pytorch_to_hf.py maps them) ----
def hf_key(openai_key):
    k = openai_key
    if k == "logit_scale":
        return k
    if k == "visual.proj":
        return "visual_projection.weight"
    if k == "text_projection":
        return "text_projection.weight"
    simple = {"visual.class_embedding": "vision_model.embeddings.class_embedding",
              "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
              "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
              "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
              "positional_embedding": "text_model.embeddings.position_embedding.weight"}
    if k in simple:
        return simple[k]
    for src, dst in [("visual.ln_pre.", "vision_model.pre_layrnorm."), ("visual.ln_post.", "vision_model.post_layernorm."),
                     ("ln_final.", "text_model.final_layer_norm.")]:
        if k.startswith(src):
            return dst + k[len(src):]
    m = re.match(r"(visual\.)?transformer\.resblocks\.(\d+)\.(.*)", k)
    if not m:
        raise KeyError(k)
    tower = "vision_model" if m.group(1) else "text_model"
    rest = m.group(3)
    for src, dst in [("ln_1.", "layer_norm1."), ("ln_2.", "layer_norm2."), ("mlp.c_fc.", "mlp.fc1."),
                     ("mlp.c_proj.", "mlp.fc2."), ("attn.out_proj.", "self_attn.out_proj.")]:
        if rest.startswith(src):
            rest = dst + rest[len(src):]
    if rest in ("attn.in_proj_weight", "attn.in_proj_bias"):
        rest = "self_attn.{}_proj." + ("weight" if rest.endswith("weight") else "bias")
    return f"{tower}.encoder.layers.{m.group(2)}.{rest}"


def openai_state(model):
    """OpenAI's state dict filled from the HF-keyed formula; returns it with the HF key -> shape list."""
    state, hf_shapes = {}, {}
    for key, t in model.state_dict().items():
        hk = hf_key(key)
        if "{}" in hk:  # in_proj: q, k, v stacked along the output dimension
            third = list(t.shape)
            third[0] //= 3
            parts = []
            for p in "qkv":
                name = hk.format(p)
                hf_shapes[name] = third
                parts.append(hf_value(name, third))
            state[key] = torch.cat(parts, 0)
        elif key in ("visual.proj", "text_projection"):  # OpenAI multiplies x @ proj; HF's Linear holds proj.T
            shape = [t.shape[1], t.shape[0]]
            hf_shapes[hk] = shape
            state[key] = hf_value(hk, shape).t().contiguous()
        else:
            shape = list(t.shape)
            hf_shapes[hk] = shape
            state[key] = hf_value(hk, shape).reshape(t.shape)
    return state, hf_shapes


# ---- prompts ----
def prompt_lists():
    with open(os.path.join(checkout, "data", "prompts.md"), encoding="utf-8") as f:
        md = f.read()
    datasets = []
    for block in re.findall(r"```bash\n(.*?)```", md, re.S):
        lists = {}
        for name in ("classes", "templates"):
            m = re.search(name + r" = (\[.*?\n\])", block, re.S)
            if m:
                lists[name] = ast.literal_eval(m.group(1))
        datasets.append(lists)
    with open(os.path.join(checkout, "notebooks", "Prompt_Engineering_for_ImageNet.ipynb"), encoding="utf-8") as f:
        nb = json.load(f)
    source = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    imagenet = {name: ast.literal_eval(re.search(name + r" = (\[.*?\])\n", source, re.S).group(1))
                for name in ("imagenet_classes", "imagenet_templates")}
    return datasets, imagenet


HANDWRITTEN = [
    "A photo of a cat.", "a PHOTO of   a    Dog!!", "  leading and trailing spaces  ", "tabs\tand\nnewlines\r\nmixed",
    "it's a dog's life, isn't it? they're here, we've seen, I'm sure, you'll see, he'd go",
    "IT'S SHOUTING: DON'T!", "rock'n'roll", "O'Reilly's 2nd edition", "l'été à Montréal", "crème brûlée and jalapeño",
    "naïve café résumé", "Zürich, München, Köln", "São Paulo à noite", "smørrebrød på Nørrebro", "Ελληνικά γράμματα",
    "русский текст", "日本語のテキスト", "中文字符", "한국어", "emoji 🐱🐶 and ✨ sparkles", "100% of 3.14159 is 3,14159",
    "1st, 2nd, 3rd and 4th", "$9.99 + €5,00 = ?", "e-mail: someone@example.com", "https://example.com/a?b=c&d=e",
    "#hashtag @mention", "(parentheses) [brackets] {braces}", "semi;colon: dash - em—dash – en–dash", "...ellipsis...",
    "a -> b => c <= d", "x^2 + y^2 = z^2", "C++ and C# and F#", "tom &amp; jerry", "&lt;b&gt;bold&lt;/b&gt;",
    "fish &amp;amp; chips", "&quot;quoted&quot; &#39;single&#39;", "1,000,000 pixels", "2024-01-31 12:00:00",
    "the year 1999", "007 agent", "a red square left of a blue circle", "a photo of the number 42",
    "<|startoftext|>a photo<|endoftext|>", "UPPER lower MiXeD", "mañana", "Ærø and Åland", "Ça va? Où est-ce?",
    "a bird's-eye view of a parking lot with 12 cars", "a close-up photo of a 'teddy bear'", '"double quoted"',
    "underscore_separated_words", "slash/separated/words", "back\\slash", "pipe | symbol", "tilde ~ and backtick `",
    "a" * 120, " ".join(["word"] * 100), "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
]

EMBED_PROMPTS = ["a photo of a cat.", "a diagram of a red square and a blue circle",
                 "ImageNet: tench, goldfish & great white shark!", " ".join(["the long caption"] * 40)]


def prompts():
    datasets, imagenet = prompt_lists()
    texts = []
    classes, templates = imagenet["imagenet_classes"], imagenet["imagenet_templates"]
    texts += classes
    texts += [templates[i % len(templates)].format(c) for i, c in enumerate(classes)]
    for d in datasets:
        # FER2013 lists several names for some classes.
        cs = [n for c in d.get("classes", []) for n in (c if isinstance(c, list) else [c])]
        ts = d.get("templates", [])
        texts += cs[:60]
        if ts:
            texts += [ts[i % len(ts)].format(c) for i, c in enumerate(cs[:30])]
    texts += HANDWRITTEN + EMBED_PROMPTS
    seen, unique = set(), []
    for t in texts:
        if t not in seen:
            seen.add(t)
            unique.append(t)
    return unique


# ---- tokenizer files in HF layout, and the subset the prompts need ----
class RecordingTokenizer(SimpleTokenizer):
    """simple_tokenizer.SimpleTokenizer, recording which merges its bpe applies."""

    def __init__(self, bpe_path):
        super().__init__(bpe_path)
        self.used = set()

    def bpe(self, token):
        if token in self.cache:  # the special tokens, and words already recorded
            return self.cache[token]
        result = super().bpe(token)
        # Replay the merge order to record the merges that were applied (the parent caches words, so this runs once each).
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = set(zip(word, word[1:]))
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            self.used.add(bigram)
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == bigram[0] and word[i + 1] == bigram[1]:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        assert " ".join(word) == result, (token, word, result)
        return result


def subset_tokenizer(tok, ids_used):
    """HF vocab.json/merges.txt keeping only the merges the prompts applied and the tokens they produced.

    BPE merges, at each step, the present pair of lowest rank. Dropping merges that were never applied, while
    keeping the relative order of the rest, leaves that lowest-ranked pair unchanged at every step for every word
    tokenised here, so these files tokenise the committed prompts exactly as the full 49,408-token files do (and
    keep every token's original id). The full vocabulary is 1.3 MB of gz; this is what the test needs of it.
    """
    merges = sorted(tok.used, key=lambda p: tok.bpe_ranks[p])
    keep = set(ids_used) | {tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]}
    vocab = {t: i for t, i in sorted(tok.encoder.items(), key=lambda kv: kv[1]) if i in keep}
    return vocab, merges


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    os.makedirs(out_dir, exist_ok=True)
    bpe_path = os.path.join(checkout, "clip", "bpe_simple_vocab_16e6.txt.gz")
    tok = RecordingTokenizer(bpe_path)

    texts = prompts()
    rows, ids_used = [], set()
    for t in texts:
        ids = [tok.encoder["<|startoftext|>"]] + tok.encode(t) + [tok.encoder["<|endoftext|>"]]
        ids_used.update(ids)
        rows.append({"text": t, "ids": ids})
    with open(os.path.join(out_dir, "clip_openai_tokens.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    vocab, merges = subset_tokenizer(tok, ids_used)
    sub = os.path.join(out_dir, "clip_bpe_subset")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(sub, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")

    model = CLIP(**ARCH).eval()
    state, hf_shapes = openai_state(model)
    model.load_state_dict(state, strict=True)

    pixels = hf_value("pixels", [3, 3, ARCH["image_resolution"], ARCH["image_resolution"]]) * 2.0
    # clip.tokenize(truncate=True), written out: sot + bpe + eot, padded with 0, cut to the context with eot last.
    input_ids = torch.zeros(len(EMBED_PROMPTS), ARCH["context_length"], dtype=torch.long)
    for i, t in enumerate(EMBED_PROMPTS):
        ids = [tok.encoder["<|startoftext|>"]] + tok.encode(t) + [tok.encoder["<|endoftext|>"]]
        if len(ids) > ARCH["context_length"]:
            ids = ids[:ARCH["context_length"]]
            ids[-1] = tok.encoder["<|endoftext|>"]
        input_ids[i, :len(ids)] = torch.tensor(ids)
    with torch.no_grad():
        image_embeds = model.encode_image(pixels)
        text_embeds = model.encode_text(input_ids)
        logits_per_image, _ = model(pixels, input_ids)
    write_safetensors(os.path.join(out_dir, "clip_openai_embeddings.safetensors"), {
        "pixels": pixels, "input_ids": input_ids, "image_embeds": image_embeds.float(),
        "text_embeds": text_embeds.float(), "logits_per_image": logits_per_image.float()})

    spec = {
        "formula": FORMULA, "openai_clip_model_args": ARCH, "embed_prompts": EMBED_PROMPTS,
        "hf_keys": {k: {"shape": s, "dtype": storage_dtype(k)} for k, s in sorted(hf_shapes.items())},
        "torch": torch.__version__,
    }
    with open(os.path.join(out_dir, "clip_openai_model.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
    print(f"{len(rows)} prompts, {len(merges)} merges, {len(vocab)} tokens kept; "
          f"image_embeds {tuple(image_embeds.shape)}, text_embeds {tuple(text_embeds.shape)} -> {out_dir}")


main()
