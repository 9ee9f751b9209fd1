#!/usr/bin/python3
"""Golden outputs for MMInterp's Stable Diffusion U-Net, from the original CompVis and Stability-AI code.

Usage: /usr/bin/python3 tests/reference/sd_unet_reference.py COMPVIS_CHECKOUT SGM_CHECKOUT OUT_DIR [CV_COMMIT SGM_COMMIT]
  COMPVIS_CHECKOUT: a tree of github.com/CompVis/stable-diffusion (ldm/modules/diffusionmodules/openaimodel.py,
                    ldm/modules/attention.py, ldm/modules/diffusionmodules/util.py: the SD 1.x U-Net)
  SGM_CHECKOUT:     a tree of github.com/Stability-AI/generative-models (sgm/modules/diffusionmodules/openaimodel.py,
                    sgm/modules/attention.py: the U-Net of SD 2.x configs with use_linear_in_transformer, and SDXL's
                    with adm_in_channels and per-level transformer_depth)
  OUT_DIR:          tests/reference/golden (what the C# tests read)
  CV_COMMIT, SGM_COMMIT: the commits the trees came from, recorded in reference.json (a tree made with `git archive`
                    has no .git to ask), e.g.
    git -C MIRROR archive HEAD ldm | tar -x -C /tmp/cv;  git -C MIRROR rev-parse HEAD

For each case it writes OUT_DIR/sd_unet_<case>/:
  config.json                        diffusers UNet2DConditionModel config of the small random model
  diffusion_pytorch_model.safetensors its weights under diffusers' names, stored as F16 (the reference ran in float32
                                     on exactly these fp16-rounded values)
  golden.safetensors                 sample [B,4,8,8], timestep [B], encoder_hidden_states [B,T,D] (and for SDXL
                                     text_embeds [B,P], time_ids [B,6]) and out [B,4,8,8]: the reference's output
  reference.json                     which reference file and commit produced it

Cases:
  All: model_channels 32, channel_mult (1, 1), 1 res block per level, 8x8 latents, batch 2, 5 context tokens. The
  reference's GroupNorms have 32 groups, so 32 channels is the smallest width; F16 weights make 0.7-0.95 MB a case.
  sd1  CompVis ldm UNetModel: attention at level 0 only (as SD 1.x, whose lowest level has none:
       CrossAttnDownBlock2D + DownBlock2D), num_heads 4 (diffusers' attention_head_dim 4 is this head count: its old
       naming quirk), 1x1-conv proj_in/proj_out, context 32
  sd2  sgm UNetModel: use_linear_in_transformer, num_head_channels 8 (4 heads per level: diffusers'
       attention_head_dim [4, 4]), attention at both levels, context 24
  sdxl sgm UNetModel: num_classes "sequential" with adm_in_channels 64 (label_emb = diffusers' add_embedding),
       attention at level 1 only with transformer_depth [1, 2] (mid block depth 2), num_head_channels 16, context 32;
       y is built as SDXL's conditioner builds it: the pooled text embedding, then each of the six size/crop numbers
       through the reference's own timestep_embedding (8 channels each), concatenated in order

Weight names: the reference's state dict is renamed to diffusers' as diffusers' convert_ldm_unet_checkpoint does
(facts taken from it, no code): time_embed.0/2 -> time_embedding.linear_1/2, label_emb.0.0/0.2 ->
add_embedding.linear_1/2, input_blocks.0.0 -> conv_in, input_blocks.i (i >= 1) -> down_blocks[(i-1)//(L+1)] resnets /
attentions [(i-1)%(L+1)] or downsamplers.0 (op -> conv), middle_block.0/1/2 -> mid_block resnets.0 / attentions.0 /
resnets.1, output_blocks.i -> up_blocks[i//(L+1)] resnets/attentions [i%(L+1)] and upsamplers.0, out.0/2 ->
conv_norm_out/conv_out; inside a ResBlock in_layers.0/2 -> norm1/conv1, emb_layers.1 -> time_emb_proj,
out_layers.0/3 -> norm2/conv2, skip_connection -> conv_shortcut; SpatialTransformer names are the same in both.

With --wide after the two commits it writes only OUT_DIR/sd_unet_sd15_wide/: SD 1.5's U-Net at its real widths
(859 M parameters, 1.7 GB of F16 weights) on 8x8 latents, from the CompVis code, for bench/run-unet-check.sh (too large
to commit); its golden.safetensors also holds out_f64, the reference run in float64, to put float32 rounding at these
widths beside the difference between the two float32 implementations.

Missing imports are replaced, not copied: einops' rearrange/repeat by a stand-in that knows only the patterns these
files use; packaging.version.parse by a numeric tuple; omegaconf's ListConfig, ldm.util.instantiate_from_config and
sgm's video/spacetime modules by empty names (never reached by these models). sgm's attention calls torch 2's
F.scaled_dot_product_attention, which torch 1.13 lacks: a stand-in computes softmax(q k^T / sqrt(d)) v, and the
module's SDP_IS_AVAILABLE/sdp_kernel/BACKEND_MAP are set as torch 2 would leave them.

The committed goldens were made with Debian's torch 1.13 from CompVis/stable-diffusion at
21f890f9da3cfbeaba8e2ac3c425ee9e998d5229 and Stability-AI/generative-models at 0ad7de9a5cb53fd63d6d30a4f385485e72e08597.
"""
import contextlib, importlib.util, json, math, os, struct, subprocess, sys, types

import torch
import torch.nn.functional as F



def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def _package(name, path):
    m = _module(name)
    m.__path__ = [path]
    return m


# ---- einops stand-in: only the patterns the reference files use on these models ----
def _rearrange(t, pattern, **n):
    p = " ".join(pattern.split())
    if p == "b n (h d) -> (b h) n d":
        b, s, _ = t.shape
        return t.reshape(b, s, n["h"], -1).permute(0, 2, 1, 3).reshape(b * n["h"], s, -1)
    if p == "(b h) n d -> b n (h d)":
        bh, s, d = t.shape
        return t.reshape(bh // n["h"], n["h"], s, d).permute(0, 2, 1, 3).reshape(bh // n["h"], s, n["h"] * d)
    if p == "b n (h d) -> b h n d":
        b, s, _ = t.shape
        return t.reshape(b, s, n["h"], -1).permute(0, 2, 1, 3)
    if p == "b h n d -> b n (h d)":
        b, h, s, d = t.shape
        return t.permute(0, 2, 1, 3).reshape(b, s, h * d)
    if p == "b c h w -> b (h w) c":
        b, c, h, w = t.shape
        return t.reshape(b, c, h * w).permute(0, 2, 1)
    if p == "b (h w) c -> b c h w":
        b, _, c = t.shape
        return t.permute(0, 2, 1).reshape(b, c, n["h"], n["w"])
    raise NotImplementedError(f"einops stand-in: pattern '{pattern}' is not known")


def _repeat(t, pattern, **n):
    raise NotImplementedError(f"einops stand-in: repeat '{pattern}' is not used by these models")


_module("einops", rearrange=_rearrange, repeat=_repeat)


def _parse_version(text):
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece[:1].isdigit() else ""
        parts.append(int(digits.split()[0]) if digits else 0)
    return tuple(parts)


_module("packaging")
_module("packaging.version", parse=lambda s: _parse_version(str(s)))
sys.modules["packaging"].version = sys.modules["packaging.version"]
_module("omegaconf")
_module("omegaconf.listconfig", ListConfig=type("ListConfig", (list,), {}))


def _sdpa(q, k, v, attn_mask=None):
    """torch 2's scaled_dot_product_attention without mask or dropout (what sgm's CrossAttention calls)."""
    assert attn_mask is None
    w = (q @ k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
    return w.softmax(-1) @ v


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    m.__package__ = name.rpartition(".")[0]
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


def load_compvis(cv_checkout):
    """CompVis ldm's openaimodel module: packages without their __init__ (which pulls in training code)."""
    _package("ldm", os.path.join(cv_checkout, "ldm"))
    _module("ldm.util", instantiate_from_config=lambda *a, **k: None)
    _package("ldm.modules", os.path.join(cv_checkout, "ldm", "modules"))
    _package("ldm.modules.diffusionmodules", os.path.join(cv_checkout, "ldm", "modules", "diffusionmodules"))
    load(os.path.join(cv_checkout, "ldm", "modules", "diffusionmodules", "util.py"), "ldm.modules.diffusionmodules.util")
    load(os.path.join(cv_checkout, "ldm", "modules", "attention.py"), "ldm.modules.attention")
    return load(os.path.join(cv_checkout, "ldm", "modules", "diffusionmodules", "openaimodel.py"),
                "ldm.modules.diffusionmodules.openaimodel")


def load_sgm(sgm_checkout):
    """Stability-AI sgm's diffusionmodules util and openaimodel modules."""
    F.scaled_dot_product_attention = _sdpa
    sgm_root = os.path.join(sgm_checkout, "sgm")
    _package("sgm", sgm_root)
    _module("sgm.util", exists=lambda v: v is not None)
    _package("sgm.modules", os.path.join(sgm_root, "modules"))
    _package("sgm.modules.diffusionmodules", os.path.join(sgm_root, "modules", "diffusionmodules"))
    _empty = lambda name: type(name, (torch.nn.Module,), {})
    _module("sgm.modules.video_attention", SpatialVideoTransformer=_empty("SpatialVideoTransformer"))
    _module("sgm.modules.diffusionmodules.video_model", VideoResBlock=_empty("VideoResBlock"),
            PostHocResBlockWithTime=_empty("PostHocResBlockWithTime"))
    _module("sgm.modules.spacetime_attention", BasicTransformerTimeMixBlock=_empty("A"),
            PostHocSpatialTransformerWithTimeMixing=_empty("B"),
            PostHocSpatialTransformerWithTimeMixingAndMotion=_empty("C"))
    util = load(os.path.join(sgm_root, "modules", "diffusionmodules", "util.py"), "sgm.modules.diffusionmodules.util")
    attention = load(os.path.join(sgm_root, "modules", "attention.py"), "sgm.modules.attention")
    attention.SDP_IS_AVAILABLE = True
    attention.sdp_kernel = lambda **_: contextlib.nullcontext()
    attention.BACKEND_MAP = {None: {}}
    return util, load(os.path.join(sgm_root, "modules", "diffusionmodules", "openaimodel.py"),
                      "sgm.modules.diffusionmodules.openaimodel")


def commit(checkout, given):
    if given:
        return given
    try:
        return subprocess.check_output(["git", "-C", checkout, "rev-parse", "HEAD"], text=True).strip()
    except Exception:
        return "unknown"


# ---- random weights, rounded to fp16 so the stored checkpoint holds exactly what the reference ran ----
def fill(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ("norm" in name or "in_layers.0" in name or "out_layers.0" in name or name.startswith("out.0")):
                value = (1 + 0.2 * torch.randn(p.shape, generator=g)) if name.endswith("weight") else 0.1 * torch.randn(p.shape, generator=g)
            elif p.dim() == 1:
                value = 0.1 * torch.randn(p.shape, generator=g)
            else:
                fan_in = p[0].numel()
                value = torch.randn(p.shape, generator=g) / fan_in ** 0.5
            p.copy_(value.half().float())


# ---- renaming (facts from diffusers' convert_ldm_unet_checkpoint) ----
RESNET = {"in_layers.0": "norm1", "in_layers.2": "conv1", "emb_layers.1": "time_emb_proj", "out_layers.0": "norm2",
          "out_layers.3": "conv2", "skip_connection": "conv_shortcut"}


def resnet_key(rest):
    for old, new in RESNET.items():
        if rest.startswith(old + "."):
            return new + rest[len(old):]
    raise KeyError(rest)


def diffusers_key(key, layers):
    parts = key.split(".")
    fixed = {"time_embed.0": "time_embedding.linear_1", "time_embed.2": "time_embedding.linear_2",
             "label_emb.0.0": "add_embedding.linear_1", "label_emb.0.2": "add_embedding.linear_2",
             "input_blocks.0.0": "conv_in", "out.0": "conv_norm_out", "out.2": "conv_out"}
    for old, new in fixed.items():
        if key.startswith(old + "."):
            return new + key[len(old):]
    if parts[0] == "input_blocks":
        i, sub, rest = int(parts[1]), parts[2], ".".join(parts[3:])
        block, layer = (i - 1) // (layers + 1), (i - 1) % (layers + 1)
        if layer == layers:
            assert rest.startswith("op.")
            return f"down_blocks.{block}.downsamplers.0.conv.{rest[3:]}"
        if sub == "0":
            return f"down_blocks.{block}.resnets.{layer}.{resnet_key(rest)}"
        return f"down_blocks.{block}.attentions.{layer}.{rest}"
    if parts[0] == "middle_block":
        sub, rest = parts[1], ".".join(parts[2:])
        if sub == "1":
            return f"mid_block.attentions.0.{rest}"
        return f"mid_block.resnets.{int(sub) // 2}.{resnet_key(rest)}"
    if parts[0] == "output_blocks":
        i, sub, rest = int(parts[1]), parts[2], ".".join(parts[3:])
        block, layer = i // (layers + 1), i % (layers + 1)
        if sub == "0":
            return f"up_blocks.{block}.resnets.{layer}.{resnet_key(rest)}"
        if rest.startswith("conv."):
            return f"up_blocks.{block}.upsamplers.0.{rest}"
        return f"up_blocks.{block}.attentions.{layer}.{rest}"
    raise KeyError(key)


DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}


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


def diffusers_config(channels, layers, heads, context, down, up, linear, extra):
    return {"_class_name": "UNet2DConditionModel", "_diffusers_version": "0.27.0", "act_fn": "silu",
            "attention_head_dim": heads, "block_out_channels": channels, "center_input_sample": False,
            "cross_attention_dim": context, "down_block_types": down, "downsample_padding": 1,
            "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4, "layers_per_block": layers,
            "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32, "out_channels": 4,
            "sample_size": 8, "up_block_types": up, "use_linear_projection": linear, "upcast_attention": False,
            **extra}


def run_case(name, model, source, checkout, given_commit, config, seed, context, sdxl=None, float64=False):
    fill(model, seed)
    model.eval()
    g = torch.Generator().manual_seed(seed + 1)
    batch = 2
    sample = torch.randn(batch, 4, 8, 8, generator=g)
    timestep = torch.tensor([37.0, 801.0])
    states = torch.randn(batch, 5, context, generator=g)
    golden = {"sample": sample, "timestep": timestep, "encoder_hidden_states": states}
    y = None
    handles, captured = [], {}
    if float64:
        # Every block's output (input_blocks.k, middle_block, output_blocks.k, time_embed), to find where two float32
        # implementations part.
        def keep(key):
            return lambda module, args, output: captured.__setitem__(key, output.detach().clone())
        handles.append(model.time_embed.register_forward_hook(keep("ref.temb")))
        handles += [b.register_forward_hook(keep(f"ref.input.{k}")) for k, b in enumerate(model.input_blocks)]
        handles.append(model.middle_block.register_forward_hook(keep("ref.middle")))
        handles += [b.register_forward_hook(keep(f"ref.middle.{k}")) for k, b in enumerate(model.middle_block)]
        handles.append(model.middle_block[1].transformer_blocks[0].register_forward_hook(keep("ref.middle.1.block.0")))
        handles += [b.register_forward_hook(keep(f"ref.output.{k}")) for k, b in enumerate(model.output_blocks)]
    if sdxl is not None:
        pooled, time_dim = sdxl
        text_embeds = torch.randn(batch, pooled, generator=g)
        time_ids = torch.tensor([[64.0, 48.0, 0.0, 8.0, 64.0, 64.0], [32.0, 32.0, 4.0, 0.0, 40.0, 56.0]])
        # SDXL's conditioner: each number through timestep_embedding, concatenated after the pooled text embedding.
        sizes = sgm_util.timestep_embedding(time_ids.flatten(), time_dim).reshape(batch, -1)
        y = torch.cat([text_embeds, sizes], 1)
        golden.update(text_embeds=text_embeds, time_ids=time_ids)
    with torch.no_grad():
        out = model(sample, timestep, context=states, y=y) if y is not None else model(sample, timestep, context=states)
    golden["out"] = out.clone()
    for h in handles:
        h.remove()
    golden.update(captured)
    if float64:
        # The reference's own float32 rounding at these widths: the same model and inputs in float64. Its code casts
        # to float32 in three places (the input to UNetModel.dtype, GroupNorm32's input, the sinusoid), which are
        # widened for this run only.
        util = sys.modules["ldm.modules.diffusionmodules.util"]
        group_norm, embed = util.GroupNorm32.forward, cv.timestep_embedding
        util.GroupNorm32.forward = lambda self, x: torch.nn.GroupNorm.forward(self, x)
        cv.timestep_embedding = lambda t, dim, **kw: embed(t, dim, **kw).double()
        model.double()
        model.dtype = torch.float64
        with torch.no_grad():
            out64 = model(sample.double(), timestep.double(), context=states.double())
        model.float()
        model.dtype = torch.float32
        util.GroupNorm32.forward, cv.timestep_embedding = group_norm, embed
        golden["out_f64"] = out64.float()
        print(f"{name}: reference float32 vs float64: max |diff| {(out.double() - out64).abs().max().item():.3e}")
    layers = config["layers_per_block"]
    state = {diffusers_key(k, layers): v.detach().half() for k, v in model.state_dict().items()}
    assert len(state) == len(model.state_dict())
    d = os.path.join(out_dir, f"sd_unet_{name}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    save_safetensors(os.path.join(d, "diffusion_pytorch_model.safetensors"), state)
    save_safetensors(os.path.join(d, "golden.safetensors"), golden)
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump({"reference": source, "commit": commit(checkout, given_commit), "seed": seed,
                   "torch": torch.__version__}, f, indent=2)
        f.write("\n")
    params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {params} parameters, out {list(out.shape)}, |out| mean {out.abs().mean().item():.4f}")


if __name__ == "__main__":
    # Only as a script: imported (bench/unet_step_pytorch.py uses load_compvis and diffusers_key), it runs nothing.
    cv_checkout, sgm_checkout, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    commits = sys.argv[4:6] if len(sys.argv) >= 6 else [None, None]
    torch.set_num_threads(1)
    cv = load_compvis(cv_checkout)
    sgm_util, sgm = load_sgm(sgm_checkout)

    if len(sys.argv) > 6 and sys.argv[6] == "--wide":
        # SD 1.5's U-Net at its real widths (CompVis' v1-inference.yaml: 320 channels x (1, 2, 4, 4), 2 res blocks,
        # attention at levels 0-2 with 8 heads, context 768), 859 M parameters, on 8x8 latents: too large to commit.
        run_case("sd15_wide", cv.UNetModel(image_size=64, in_channels=4, model_channels=320, out_channels=4,
                                           num_res_blocks=2, attention_resolutions=[4, 2, 1], channel_mult=(1, 2, 4, 4),
                                           num_heads=8, use_spatial_transformer=True, transformer_depth=1,
                                           context_dim=768, legacy=False),
                 "CompVis/stable-diffusion ldm/modules/diffusionmodules/openaimodel.py", cv_checkout, commits[0],
                 {**diffusers_config([320, 640, 1280, 1280], 2, 8, 768,
                                     ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                                     ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"], False, {}),
                  "sample_size": 64}, seed=34, context=768, float64=True)
        sys.exit(0)

    run_case("sd1", cv.UNetModel(image_size=8, in_channels=4, model_channels=32, out_channels=4, num_res_blocks=1,
                                 attention_resolutions=[1], channel_mult=(1, 1), num_heads=4,
                                 use_spatial_transformer=True, transformer_depth=1, context_dim=32, legacy=False),
             "CompVis/stable-diffusion ldm/modules/diffusionmodules/openaimodel.py", cv_checkout, commits[0],
             diffusers_config([32, 32], 1, 4, 32, ["CrossAttnDownBlock2D", "DownBlock2D"],
                              ["UpBlock2D", "CrossAttnUpBlock2D"], False, {}), seed=31, context=32)

    run_case("sd2", sgm.UNetModel(in_channels=4, model_channels=32, out_channels=4, num_res_blocks=1,
                                  attention_resolutions=[1, 2], channel_mult=(1, 1), num_head_channels=8,
                                  transformer_depth=1, context_dim=24, use_linear_in_transformer=True,
                                  use_checkpoint=False),
             "Stability-AI/generative-models sgm/modules/diffusionmodules/openaimodel.py", sgm_checkout, commits[1],
             diffusers_config([32, 32], 1, [4, 4], 24, ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
                              ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D"], True, {}), seed=32, context=24)

    run_case("sdxl", sgm.UNetModel(in_channels=4, model_channels=32, out_channels=4, num_res_blocks=1,
                                   attention_resolutions=[2], channel_mult=(1, 1), num_head_channels=16,
                                   transformer_depth=[1, 2], context_dim=32, use_linear_in_transformer=True,
                                   num_classes="sequential", adm_in_channels=16 + 6 * 8, use_checkpoint=False),
             "Stability-AI/generative-models sgm/modules/diffusionmodules/openaimodel.py", sgm_checkout, commits[1],
             diffusers_config([32, 32], 1, [2, 2], 32, ["DownBlock2D", "CrossAttnDownBlock2D"],
                              ["CrossAttnUpBlock2D", "UpBlock2D"], True,
                              {"transformer_layers_per_block": [1, 2], "addition_embed_type": "text_time",
                               "addition_time_embed_dim": 8, "projection_class_embeddings_input_dim": 16 + 6 * 8}),
             seed=33, context=32, sdxl=(16, 8))
