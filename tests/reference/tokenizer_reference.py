#!/usr/bin/python3
"""Fixtures and goldens for MMInterp's LLM tokenisers and chat templates (src/Kernels/Text), from independent code.

Usage: /usr/bin/python3 tests/reference/tokenizer_reference.py GPT2_CHECKOUT OUT_DIR
  GPT2_CHECKOUT: a checkout of the openai/gpt-2 repository (src/encoder.py: the published byte-level BPE)
  OUT_DIR:       tests/reference/golden/tokenizers (what the C# tests under tests/MMInterp.Kernels.Tests/Text read)

Writes (all small: KB):
  llama/tokenizer.model, tokenizer_config.json, special_tokens_map.json, chat_template.json
      a SentencePiece BPE model trained here by Google's sentencepiece trainer with Llama's settings (byte_fallback,
      split_digits, identity normalisation, dummy prefix, no whitespace collapsing), plus HF's side files as
      llava-hf/llava-1.5-*-hf ships them (<image> and <pad> as added tokens past the model's vocabulary)
  llama_goldens.json   ids for each string: HF LlamaTokenizer's algorithm (split on added tokens, then
                       sentencepiece's own encoder per piece) in both its legacy=false and legacy=true modes
  qwen2/tokenizer.json, tokenizer_config.json
      a byte-level BPE trained here (Qwen2's pre-tokenizer regex, GPT-2's byte-to-unicode map), in the HF
      tokenizers-library layout Qwen2 ships, with <|endoftext|>, <|im_start|>, <|im_end|>, <image> as added tokens
  qwen2_goldens.json   ids for each string from openai/gpt-2's src/encoder.py (its bpe() and byte map, run with
                       Qwen2's regex after splitting on the added tokens and NFC, as HF tokenizers does)
  chat_goldens.json    prompts rendered by jinja2 (as HF's apply_chat_template renders: trim_blocks, lstrip_blocks,
                       raise_exception, the {% generation %} tag) from the LLaVA-1.5, ChatML (Qwen2) and Llama-2
                       templates, for several conversations

Needs Debian's python3-sentencepiece, python3-protobuf, python3-regex, python3-jinja2. Deterministic: the trainers
run single-threaded on a corpus built here, so rerunning reproduces the files byte for byte.
"""
import collections, importlib.util, io, json, os, random, sys, unicodedata

import jinja2
import jinja2.ext
import jinja2.sandbox
import regex
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2

gpt2_checkout, out_dir = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("gpt2_encoder", os.path.join(gpt2_checkout, "src", "encoder.py"))
gpt2_encoder = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gpt2_encoder)

# ---- a training corpus: words the LLaVA prompts use, some unicode; emoji and rare scripts are left out on purpose
WORDS = ("the quick brown fox jumps over lazy dog a photo of an image what is shown in this picture describe colour "
         "shape red green blue yellow circle square triangle large small left right above below USER ASSISTANT "
         "question answer there how many objects are you can see it's don't I'll we're they've").split()
rng = random.Random(20)
CORPUS = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) + rng.choice([".", "?", "!", ","])
          for _ in range(600)]
CORPUS += ["café naïve über façade", "日本語のテキスト", "numbers 12345 and 2026", "tabs\tand  double  spaces",
           "USER: what is this? ASSISTANT: a red circle", "system user assistant", "<|im_start|> <|im_end|>"]

STRINGS = [
    "", "the quick brown fox", "What is shown in this picture?", "Hello, World! HELLO world.",
    "  two  leading spaces", "trailing spaces   ", "a  b   c    d", "tabs\t\tand\ttabs", "line one\nline two\n\n",
    "windows\r\nline", " ", "   ", "\n",
    "café naïve über façade", "cafe\u0301 (decomposed)", "日本語のテキスト", "Ω ≈ ∑ ψ", "emoji 🙂 and 👍🏽 and 👨‍👩‍👧",
    "numbers 12345 and 3.14159", "don't I'LL we're they've", "it's 2026!!!", "x=1;y=[2,3]",
    "<image>", "<image>\nWhat is shown in this picture?", "USER: <image>\nWhat colour is the circle? ASSISTANT:",
    "a<image>b", "<image><image> two images", "text <image> text", "<pad><image>", "not an <imag e> token",
    # runs of one symbol: where BPE implementations that break merge ties differently part ways
    "sssss ooooooo eeee", "...... ------ ====", "\t\t\t\t\t", "x" + " " * 9 + "y", "!!!!!!!",
]
QWEN_EXTRA = ["<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", "end<|endoftext|>",
              "<|im_start|>system\nYou are a helpful assistant.<|im_end|>"]


def dump(path, obj):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=1, ensure_ascii=False) + "\n")


# =====================================================================================================================
# SentencePiece (Llama / LLaVA-1.5)
# =====================================================================================================================
SP_VOCAB = 700
buf = io.BytesIO()
spm.SentencePieceTrainer.train(
    sentence_iterator=iter(CORPUS), model_writer=buf, model_type="bpe", vocab_size=SP_VOCAB, byte_fallback=True,
    split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False, normalization_rule_name="identity",
    allow_whitespace_only_pieces=True, character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
    num_threads=1, minloglevel=2)
model_bytes = buf.getvalue()
sp = spm.SentencePieceProcessor(model_proto=model_bytes)
# HF's legacy=false loads the same model with the dummy prefix switched off (LlamaTokenizer.get_spm_processor).
proto = sentencepiece_model_pb2.ModelProto()
proto.ParseFromString(model_bytes)
proto.normalizer_spec.add_dummy_prefix = False
sp_noprefix = spm.SentencePieceProcessor(model_proto=proto.SerializeToString())

SP_ADDED = {"<unk>": 0, "<s>": 1, "</s>": 2, "<image>": SP_VOCAB, "<pad>": SP_VOCAB + 1}
LLAVA_TEMPLATE = ("{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}"
                  "{% endif %}{# Render all images first #}{% for content in message['content'] | selectattr('type', "
                  "'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}{# Render all text next #}{% if message['role'] "
                  "!= 'assistant' %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
                  "{{ content['text'] + ' '}}{% endfor %}{% else %}{% for content in message['content'] | selectattr("
                  "'type', 'equalto', 'text') %}{% generation %}{{ content['text'] + ' '}}{% endgeneration %}"
                  "{% endfor %}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}")


def split_added(text, added):
    """HF's added-token split (tokenization_utils Trie / tokenizers' leftmost-longest): [(is_added, piece)]."""
    out, i, start = [], 0, 0
    while i < len(text):
        best = max((t for t in added if text.startswith(t, i)), key=len, default=None)
        if best is None:
            i += 1
            continue
        if start < i:
            out.append((False, text[start:i]))
        out.append((True, best))
        i += len(best)
        start = i
    if start < len(text):
        out.append((False, text[start:]))
    return out


def hf_llama_pieces(text, legacy):
    """LlamaTokenizer.tokenize (transformers' tokenization_llama.py), with sentencepiece doing each piece."""
    if legacy or not text:
        pieces = []
        for is_added, part in split_added(text, SP_ADDED):
            pieces += [part] if is_added else sp.encode(part, out_type=str)
        return pieces
    text = "\u2581" + text.replace("\u2581", " ")  # add_prefix_space
    pieces = []
    for is_added, part in split_added(text, SP_ADDED):
        if is_added:
            pieces.append(part)
        elif part.startswith(("\u2581", " ")):
            # the <unk> trick: encode "<unk>" + part, drop <unk>'s own pieces, so no dummy prefix is added
            unk_len = len(sp_noprefix.encode("<unk>", out_type=str))
            pieces += sp_noprefix.encode("<unk>" + part, out_type=str)[unk_len:]
        else:
            pieces += sp_noprefix.encode(part, out_type=str)
    if len(pieces) > 1 and pieces[0] == "\u2581" and pieces[1] in SP_ADDED:
        pieces = pieces[1:]
    return pieces


def llama_ids(pieces):
    return [SP_ADDED[p] if p in SP_ADDED else sp.piece_to_id(p) for p in pieces]


llama_dir = os.path.join(out_dir, "llama")
os.makedirs(llama_dir, exist_ok=True)
with open(os.path.join(llama_dir, "tokenizer.model"), "wb") as f:
    f.write(model_bytes)
dump(os.path.join(llama_dir, "tokenizer_config.json"), {
    "add_bos_token": True, "add_eos_token": False,
    "added_tokens_decoder": {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                      "single_word": False, "special": True} for t, i in SP_ADDED.items()},
    "bos_token": "<s>", "clean_up_tokenization_spaces": False, "eos_token": "</s>", "legacy": False,
    "model_max_length": 4096, "pad_token": "<pad>", "padding_side": "left", "processor_class": "LlavaProcessor",
    "sp_model_kwargs": {}, "tokenizer_class": "LlamaTokenizer", "unk_token": "<unk>"})
dump(os.path.join(llama_dir, "special_tokens_map.json"),
     {"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"})
dump(os.path.join(llama_dir, "chat_template.json"), {"chat_template": LLAVA_TEMPLATE})

llama_goldens = []
for s in STRINGS:
    row = {"text": s}
    for legacy in (False, True):
        pieces = hf_llama_pieces(s, legacy)
        row["legacy" if legacy else "ids"] = [1] + llama_ids(pieces)  # add_bos_token
        if not legacy:
            row["pieces"] = pieces
    # what sentencepiece itself decodes the plain-text ids to (no added tokens): the round trip the C# side must match
    plain = [i for i in row["ids"][1:] if i < SP_VOCAB and i > 2]
    row["sp_decoded"] = sp.decode(plain)
    llama_goldens.append(row)
dump(os.path.join(out_dir, "llama_goldens.json"), {"vocab_size": SP_VOCAB, "added": SP_ADDED, "strings": llama_goldens})

# =====================================================================================================================
# byte-level BPE (Qwen2)
# =====================================================================================================================
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
                r"|\s+(?!\S)|\s+")
QWEN_MERGES = 320
byte_encoder = gpt2_encoder.bytes_to_unicode()
qwen_pat = regex.compile(QWEN_PATTERN)


def byte_words(text):
    return ["".join(byte_encoder[b] for b in w.encode("utf-8")) for w in qwen_pat.findall(unicodedata.normalize("NFC", text))]


# a plain BPE trainer: most frequent adjacent pair, ties broken by the pair's text, so the result is deterministic
counts = collections.Counter(w for line in CORPUS for w in byte_words(line))
words = {tuple(w): c for w, c in counts.items()}
merges = []
for _ in range(QWEN_MERGES):
    pairs = collections.Counter()
    for w, c in words.items():
        for a, b in zip(w, w[1:]):
            pairs[(a, b)] += c
    if not pairs:
        break
    best = min(pairs, key=lambda p: (-pairs[p], p))
    merges.append(best)
    merged = {}
    for w, c in words.items():
        out, i = [], 0
        while i < len(w):
            if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                out.append(w[i] + w[i + 1])
                i += 2
            else:
                out.append(w[i])
                i += 1
        merged[tuple(out)] = merged.get(tuple(out), 0) + c
    words = merged

vocab = {}
for ch in byte_encoder.values():  # Qwen2's ids 0..255: the byte symbols in bytes_to_unicode's order
    vocab[ch] = len(vocab)
for a, b in merges:
    vocab.setdefault(a + b, len(vocab))
QWEN_ADDED = {t: len(vocab) + k for k, t in enumerate(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"])}

CHATML_TEMPLATE = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                   "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
                   "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
                   "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")

qwen_dir = os.path.join(out_dir, "qwen2")
os.makedirs(qwen_dir, exist_ok=True)
dump(os.path.join(qwen_dir, "tokenizer.json"), {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True} for t, i in QWEN_ADDED.items()],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": QWEN_PATTERN}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
              "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]}})
dump(os.path.join(qwen_dir, "tokenizer_config.json"), {
    "add_prefix_space": False,
    "added_tokens_decoder": {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                      "single_word": False, "special": True} for t, i in QWEN_ADDED.items()},
    "bos_token": None, "chat_template": CHATML_TEMPLATE, "clean_up_tokenization_spaces": False,
    "eos_token": "<|im_end|>", "errors": "replace", "model_max_length": 32768, "pad_token": "<|endoftext|>",
    "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer", "unk_token": None})


class QwenEncoder(gpt2_encoder.Encoder):
    """openai/gpt-2's Encoder, with Qwen2's split pattern in place of GPT-2's."""

    def __init__(self):
        super().__init__(encoder=vocab, bpe_merges=merges)
        self.pat = qwen_pat


enc = QwenEncoder()


def qwen_ids(text):
    ids = []
    for is_added, part in split_added(text, QWEN_ADDED):
        ids += [QWEN_ADDED[part]] if is_added else enc.encode(unicodedata.normalize("NFC", part))
    return ids


qwen_goldens = []
for s in STRINGS + QWEN_EXTRA:
    ids = qwen_ids(s)
    plain = [i for i in ids if i < len(vocab)]
    qwen_goldens.append({"text": s, "nfc": unicodedata.normalize("NFC", s), "ids": ids, "gpt2_decoded": enc.decode(plain)})
dump(os.path.join(out_dir, "qwen2_goldens.json"), {"vocab_size": len(vocab), "added": QWEN_ADDED, "strings": qwen_goldens})

# =====================================================================================================================
# chat templates, rendered as transformers' apply_chat_template renders them
# =====================================================================================================================
LLAMA2_TEMPLATE = ("{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = "
                   "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}"
                   "{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                   "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                   "{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + "
                   "'\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
                   "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
                   "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}"
                   "{% endfor %}")


class GenerationTag(jinja2.ext.Extension):
    """transformers' {% generation %} ... {% endgeneration %}: marks the assistant's tokens, renders its body."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag])
env.globals["raise_exception"] = raise_exception

# Conversations: (role, text, images). Typed content parts for LLaVA's template; "<image>\n" * images + text for the
# string-content templates (ChatML, Llama-2), which is how a LLaVA prompt puts the image there.
CONVERSATIONS = [
    [("user", "What is shown in this picture?", 1)],
    [("user", "What colour is the circle?", 1), ("assistant", "Red.", 0), ("user", "And the square?", 0)],
    [("system", "Answer in one word.", 0), ("user", "What shape is it?", 1)],
    [("user", "Describe both.", 2)],
    [("user", "No image here.", 0)],
]
chat = []
for family, template in [("llava", LLAVA_TEMPLATE), ("chatml", CHATML_TEMPLATE), ("llama2", LLAMA2_TEMPLATE)]:
    t = env.from_string(template)
    for conv in CONVERSATIONS:
        if family == "llava":
            msgs = [{"role": r, "content": [{"type": "image"}] * n + [{"type": "text", "text": x}]} for r, x, n in conv]
        else:
            msgs = [{"role": r, "content": "<image>\n" * n + x} for r, x, n in conv]
        for gen in (True, False):
            chat.append({"family": family, "messages": [{"role": r, "text": x, "images": n} for r, x, n in conv],
                         "add_generation_prompt": gen,
                         "rendered": t.render(messages=msgs, add_generation_prompt=gen, bos_token="<s>", eos_token="</s>")})
dump(os.path.join(out_dir, "chat_goldens.json"),
     {"templates": {"llava": LLAVA_TEMPLATE, "chatml": CHATML_TEMPLATE, "llama2": LLAMA2_TEMPLATE}, "cases": chat})
print(f"wrote {out_dir}: sentencepiece {len(model_bytes)} bytes, BPE {len(vocab)} tokens / {len(merges)} merges, "
      f"{len(chat)} chat renderings")
