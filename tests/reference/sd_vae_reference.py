#!/usr/bin/python3
"""Golden outputs for MMInterp's Stable Diffusion autoencoder (AutoencoderKL), from CompVis's reference code.

Usage: /usr/bin/python3 tests/reference/sd_vae_reference.py SD_CHECKOUT OUT_DIR
  SD_CHECKOUT: a checkout of github.com/CompVis/stable-diffusion (ldm/modules/diffusionmodules/model.py: Encoder and
               Decoder; ldm/modules/distributions/distributions.py: DiagonalGaussianDistribution)
  OUT_DIR:     tests/reference/golden (what the C# tests read)
For a tree exported without .git (git archive), COMMIT names the commit in reference.json.

It writes OUT_DIR/sd_vae_small/:
  config.json                              diffusers' vae/config.json for the model (AutoencoderKL)
  diffusion_pytorch_model.fp16.safetensors its weights under diffusers' names, stored as F16 (diffusers' "fp16"
                                           variant; the reference ran in float32 on the same fp16-rounded values)
  golden.safetensors                       image [2,3,16,16], mean and logvar [2,4,8,8] of the latent distribution
                                           the reference's encoder gives, latent [2,4,8,8] (random) and decoded
                                           [2,3,16,16], the reference decoder's image of that latent
  reference.json                           which files and commit produced it

The model: ch 32, ch_mult (1, 2), one res block per level, z_channels 4, 16x16 RGB images, no attention outside the
middle block (attn_resolutions []), 32 groups in every GroupNorm (the reference hard-codes 32). Weights are random
(GroupNorm scales and biases too, so they are tested).

ldm/models/autoencoder.py (CompVis's AutoencoderKL) imports pytorch_lightning, which is not installed; this script does
not import it. It builds what that class's encode/decode do from its parts: Encoder, then quant_conv (1x1,
2*z_channels -> 2*embed_dim) and DiagonalGaussianDistribution (mean/logvar halves, logvar clamped to [-30, 20]);
post_quant_conv (1x1, embed_dim -> z_channels), then Decoder. embed_dim = z_channels = 4 as in Stable Diffusion v1.

Stand-ins (nothing of the reference is copied): einops is not installed, so `einops` is a module whose rearrange and
repeat handle the two patterns the imported files use ('b c h w -> b (h w) c', 'b -> b d'); neither runs on this
path. `ldm.util` (imports PIL) is replaced by a module whose instantiate_from_config refuses to run.

Names, as diffusers' convert_ldm_vae_checkpoint maps them (a fact about the layouts; its code is not used):
  encoder.down.{i}.block.{j}        -> encoder.down_blocks.{i}.resnets.{j} (nin_shortcut -> conv_shortcut)
  encoder.down.{i}.downsample.conv  -> encoder.down_blocks.{i}.downsamplers.0.conv
  {en,de}coder.mid.block_{1,2}      -> {en,de}coder.mid_block.resnets.{0,1}
  {en,de}coder.mid.attn_1.{norm,q,k,v,proj_out} -> mid_block.attentions.0.{group_norm,to_q,to_k,to_v,to_out.0}
                                       (1x1 conv weights [c,c,1,1] become linear weights [c,c])
  {en,de}coder.norm_out             -> conv_norm_out
  decoder.up.{n-1-i}.block.{j}      -> decoder.up_blocks.{i}.resnets.{j}; decoder.up.{n-1-i}.upsample.conv ->
                                       decoder.up_blocks.{i}.upsamplers.0.conv (diffusers counts up blocks from the
                                       bottom, CompVis by resolution level)

The committed goldens were made with Debian's torch 1.13 from CompVis/stable-diffusion at
21f890f9da3cfbeaba8e2ac3c425ee9e998d5229.
"""
import importlib, json, os, re, struct, subprocess, sys, types

import torch

sd_checkout, out_dir = sys.argv[1], sys.argv[2]
torch.set_num_threads(1)


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def _rearrange(x, pattern, **_):
    if pattern == "b c h w -> b (h w) c":
        return x.flatten(2).transpose(1, 2)
    raise NotImplementedError(f"einops stand-in: pattern {pattern!r}")


def _repeat(x, pattern, **sizes):
    if pattern == "b -> b d":
        return x[:, None].expand(x.shape[0], sizes["d"])
    raise NotImplementedError(f"einops stand-in: pattern {pattern!r}")


def _no_config(*_, **__):
    raise RuntimeError("ldm.util stand-in: instantiate_from_config is not available here")


_module("einops", rearrange=_rearrange, repeat=_repeat)
_module("ldm.util", instantiate_from_config=_no_config)
sys.path.insert(0, sd_checkout)
model = importlib.import_module("ldm.modules.diffusionmodules.model")
distributions = importlib.import_module("ldm.modules.distributions.distributions")


def commit(checkout):
    """The checkout's HEAD; for a tree exported without .git (git archive), the COMMIT environment variable."""
    try:
        return subprocess.check_output(["git", "-C", checkout, "rev-parse", "HEAD"], text=True,
                                       stderr=subprocess.DEVNULL).strip()
    except Exception:
        return os.environ.get("COMMIT", "unknown")


# ---- safetensors, written by hand (python3-safetensors is not in Debian) ----
DTYPES = {torch.float32: "F32", torch.float16: "F16"}


def save_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        raw = t.numpy().tobytes()
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


# ---- CompVis state-dict names -> diffusers' ----
def diffusers_name(name, levels):
    n = name
    n = re.sub(r"^encoder\.down\.(\d+)\.block\.(\d+)\.", r"encoder.down_blocks.\1.resnets.\2.", n)
    n = re.sub(r"^encoder\.down\.(\d+)\.downsample\.", r"encoder.down_blocks.\1.downsamplers.0.", n)
    n = re.sub(r"^decoder\.up\.(\d+)\.block\.(\d+)\.",
               lambda m: f"decoder.up_blocks.{levels - 1 - int(m.group(1))}.resnets.{m.group(2)}.", n)
    n = re.sub(r"^decoder\.up\.(\d+)\.upsample\.",
               lambda m: f"decoder.up_blocks.{levels - 1 - int(m.group(1))}.upsamplers.0.", n)
    n = re.sub(r"\.mid\.block_(\d)\.", lambda m: f".mid_block.resnets.{int(m.group(1)) - 1}.", n)
    for old, new in (("norm", "group_norm"), ("q", "to_q"), ("k", "to_k"), ("v", "to_v"), ("proj_out", "to_out.0")):
        n = n.replace(f".mid.attn_1.{old}.", f".mid_block.attentions.0.{new}.")
    n = n.replace(".nin_shortcut.", ".conv_shortcut.")
    n = re.sub(r"^(encoder|decoder)\.norm_out\.", r"\1.conv_norm_out.", n)
    return n


def run_case(name, ch, ch_mult, res_blocks, z, resolution, seed):
    dd = dict(ch=ch, out_ch=3, ch_mult=ch_mult, num_res_blocks=res_blocks, attn_resolutions=[], dropout=0.0,
              in_channels=3, resolution=resolution, z_channels=z, double_z=True)
    torch.manual_seed(seed)
    encoder, decoder = model.Encoder(**dd), model.Decoder(**dd)
    quant_conv = torch.nn.Conv2d(2 * z, 2 * z, 1)
    post_quant_conv = torch.nn.Conv2d(z, z, 1)
    parts = {"encoder": encoder, "decoder": decoder, "quant_conv": quant_conv, "post_quant_conv": post_quant_conv}
    g = torch.Generator().manual_seed(seed + 1)
    state = {}
    with torch.no_grad():
        for prefix, part in parts.items():
            for pname, p in part.named_parameters():
                if "norm" in pname and pname.endswith("weight"):
                    value = 1 + 0.2 * torch.randn(p.shape, generator=g)
                elif pname.endswith("bias"):
                    value = 0.1 * torch.randn(p.shape, generator=g)
                else:
                    fan_in = p[0].numel()
                    value = torch.randn(p.shape, generator=g) / fan_in ** 0.5
                # Stored as fp16: the reference runs on exactly the stored values.
                p.copy_(value.to(torch.float16).to(torch.float32))
                key = diffusers_name(f"{prefix}.{pname}", len(ch_mult))
                # diffusers' attention projections are linear layers: [c, c, 1, 1] -> [c, c].
                stored = p.detach().clone()
                if ".attentions.0." in key and key.endswith("weight") and "group_norm" not in key:
                    stored = stored[:, :, 0, 0]
                state[key] = stored.to(torch.float16)
    for part in parts.values():
        part.eval()

    image = torch.rand((2, 3, resolution, resolution), generator=g) * 2 - 1
    latent = torch.randn((2, z, resolution // 2 ** (len(ch_mult) - 1), resolution // 2 ** (len(ch_mult) - 1)), generator=g)
    with torch.no_grad():
        posterior = distributions.DiagonalGaussianDistribution(quant_conv(encoder(image)))
        decoded = decoder(post_quant_conv(latent))

    config = {
        "_class_name": "AutoencoderKL", "_diffusers_version": "0.30.0", "act_fn": "silu",
        "block_out_channels": [ch * m for m in ch_mult],
        "down_block_types": ["DownEncoderBlock2D"] * len(ch_mult),
        "in_channels": 3, "latent_channels": z, "layers_per_block": res_blocks, "norm_num_groups": 32,
        "out_channels": 3, "sample_size": resolution, "scaling_factor": 0.18215,
        "up_block_types": ["UpDecoderBlock2D"] * len(ch_mult),
    }
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    save_safetensors(os.path.join(d, "diffusion_pytorch_model.fp16.safetensors"), state)
    save_safetensors(os.path.join(d, "golden.safetensors"), {
        "image": image, "mean": posterior.mean.contiguous(), "logvar": posterior.logvar.contiguous(),
        "latent": latent, "decoded": decoded})
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"repo": "CompVis/stable-diffusion", "commit": commit(sd_checkout),
                   "files": ["ldm/modules/diffusionmodules/model.py", "ldm/modules/distributions/distributions.py"],
                   "ddconfig": dd, "embed_dim": z, "seed": seed, "torch": torch.__version__}, f, indent=2)
        f.write("\n")
    print(f"{name}: {len(state)} tensors, mean |{posterior.mean.abs().mean():.3f}|, "
          f"logvar in [{posterior.logvar.min():.2f}, {posterior.logvar.max():.2f}], decoded |{decoded.abs().mean():.3f}|")


run_case("sd_vae_small", ch=32, ch_mult=(1, 2), res_blocks=1, z=4, resolution=16, seed=31)
