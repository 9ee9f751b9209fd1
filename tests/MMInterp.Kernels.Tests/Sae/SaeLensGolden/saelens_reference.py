#!/usr/bin/python3
"""SAELens's own code on both sides of the interchange, for SaeLensGoldenTests.

Usage: /usr/bin/python3 saelens_reference.py SAELENS_CHECKOUT GOLDEN_DIR
  SAELENS_CHECKOUT: a checkout of github.com/jbloomAus/SAELens (the directory holding sae_lens/), e.g.
    git --git-dir=/work/.mirror/jbloomAus+SAELens/repo archive HEAD sae_lens | tar x -C /tmp/saelens
  GOLDEN_DIR: this directory. It writes
    written/<name>/      cfg.json + sae_weights.safetensors from SAELens's save_model / save_inference_model on
                         random weights, and outputs.safetensors (x, SAELens's encode z and decode x_hat);
    exported/<name>/     must already hold our exports (SaeLensGoldenTests writes them with MMINTERP_WRITE_GOLDEN=1);
                         SAELens's SAE.load_from_disk reads each, and outputs.safetensors gets its x, z and x_hat.
Debian's python3-torch 1.13 has none of SAELens's other dependencies; the few names its SAE modules import are
stubbed below (hook points as identities, a minimal safetensors). Nothing of SAELens's maths or file handling is.
"""
import json
import struct
import sys
import types
from pathlib import Path

import torch
import torch.nn as nn

checkout, golden = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()

# ---- stubs for imports the SAE modules make but the code paths used here do not need --------------------------
def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m

_DT = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}
_TD = {v: k for k, v in _DT.items()}

def _read(path):
    raw = Path(path).read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    out = {}
    for k, e in header.items():
        b, t = e["data_offsets"]
        out[k] = torch.frombuffer(bytearray(data[b:t]), dtype=_DT[e["dtype"]]).reshape(e["shape"]).clone()
    return out

def save_file(tensors, path, metadata=None):
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        t = tensors[k].detach().contiguous().cpu()
        b = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[k] = {"dtype": _TD[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    Path(path).write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))

class _SafeOpen:
    def __init__(self, path, framework="pt", device="cpu"):
        self._t = _read(path)
    def __enter__(self):
        return self
    def __exit__(self, *a):
        return False
    def keys(self):
        return list(self._t)
    def get_tensor(self, k):
        return self._t[k]

module("safetensors", safe_open=_SafeOpen)
module("safetensors.torch", save_file=save_file, load_file=lambda p, device="cpu": _read(p))

class HookPoint(nn.Module):
    def forward(self, x):
        return x

class HookedRootModule(nn.Module):
    def setup(self):
        pass

module("transformer_lens")
module("transformer_lens.hook_points", HookPoint=HookPoint, HookedRootModule=HookedRootModule)

class _Float:
    def __class_getitem__(cls, item):
        return torch.Tensor

module("jaxtyping", Float=_Float)
module("einops", rearrange=None)
module("transformers", PreTrainedTokenizerBase=object)
module("huggingface_hub", hf_hub_download=None, hf_hub_url=None)
module("huggingface_hub.utils", EntryNotFoundError=Exception)

class Version:
    def __init__(self, s):
        import re
        self.t = tuple(int(x) for x in re.findall(r"\d+", s.split("-")[0].split("rc")[0])[:3])
        self.pre = "rc" in s or "-" in s
    def __lt__(self, o):
        return (self.t, not self.pre) < (o.t, not o.pre)

module("packaging")
module("packaging.version", Version=Version)
import typing_extensions
if not hasattr(typing_extensions, "deprecated"):
    typing_extensions.deprecated = lambda msg: (lambda f: f)

# SAELens's package without its __init__ (which imports its training and analysis stack); the SAE classes are
# registered as __init__ registers them.
import logging
pkg = module("sae_lens", __version__="6.18.0", logger=logging.getLogger("sae_lens"))
pkg.__path__ = [str(checkout / "sae_lens")]
from sae_lens.registry import register_sae_class, register_sae_training_class
from sae_lens.saes.sae import SAE
from sae_lens.saes.standard_sae import StandardSAE, StandardSAEConfig, StandardTrainingSAE, StandardTrainingSAEConfig
from sae_lens.saes.topk_sae import TopKSAE, TopKSAEConfig, TopKTrainingSAE, TopKTrainingSAEConfig
from sae_lens.saes.jumprelu_sae import JumpReLUSAE, JumpReLUSAEConfig, JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig
from sae_lens.saes.batchtopk_sae import BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig
register_sae_class("standard", StandardSAE, StandardSAEConfig)
register_sae_training_class("standard", StandardTrainingSAE, StandardTrainingSAEConfig)
register_sae_class("topk", TopKSAE, TopKSAEConfig)
register_sae_training_class("topk", TopKTrainingSAE, TopKTrainingSAEConfig)
register_sae_class("jumprelu", JumpReLUSAE, JumpReLUSAEConfig)
register_sae_training_class("jumprelu", JumpReLUTrainingSAE, JumpReLUTrainingSAEConfig)
register_sae_training_class("batchtopk", BatchTopKTrainingSAE, BatchTopKTrainingSAEConfig)

D_IN, D_SAE = 12, 40

def randomise(sae, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sae.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.4)
        if hasattr(sae, "threshold") and isinstance(sae.threshold, nn.Parameter):
            sae.threshold.copy_(torch.rand(sae.threshold.shape, generator=g) * 0.8)
        if hasattr(sae, "log_threshold"):
            sae.log_threshold.copy_((torch.rand(sae.log_threshold.shape, generator=g) * 0.8 + 0.02).log())
        if hasattr(sae, "topk_threshold"):
            sae.topk_threshold = torch.tensor(0.21, dtype=torch.double)

def outputs(sae, directory, seed):
    x = torch.randn(64, sae.cfg.d_in, generator=torch.Generator().manual_seed(seed)) * 2.5
    with torch.no_grad():
        z = sae.encode(x)
        x_hat = sae.decode(z)
    save_file({"x": x, "z": z.to_dense() if z.is_sparse else z, "x_hat": x_hat}, directory / "outputs.safetensors")
    print(f"{directory.name}: {int((z != 0).sum())} active of {z.numel()}")

meta = {"model_name": "gpt2", "hook_name": "blocks.3.hook_resid_post"}
written = golden / "written"
cases = {
    "standard": lambda: StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE, apply_b_dec_to_input=False)),
    "topk": lambda: TopKSAE(TopKSAEConfig(d_in=D_IN, d_sae=D_SAE, k=5, rescale_acts_by_decoder_norm=True)),
    "jumprelu": lambda: JumpReLUSAE(JumpReLUSAEConfig(d_in=D_IN, d_sae=D_SAE)),
}
for i, (name, make) in enumerate(cases.items()):
    sae = make()
    for k, v in meta.items():
        sae.cfg.metadata[k] = v
    randomise(sae, 100 + i)
    d = written / name
    sae.save_model(d)
    outputs(SAE.load_from_disk(d), d, 200 + i)

# A BatchTopK SAE as SAELens's trainer saves it for inference: a jumprelu SAE with one shared threshold.
bt = BatchTopKTrainingSAE(BatchTopKTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, k=4))
randomise(bt, 110)
d = written / "batchtopk"
bt.save_inference_model(d)
outputs(SAE.load_from_disk(d), d, 210)

exported = golden / "exported"
for d in sorted(p for p in exported.iterdir() if p.is_dir()) if exported.exists() else []:
    outputs(SAE.load_from_disk(d), d, 300)
