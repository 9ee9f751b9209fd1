#!/usr/bin/python3
"""Golden schedules and sampling trajectories for MMInterp's DDIM and Euler schedulers, from the reference samplers.

Usage: /usr/bin/python3 tests/reference/sd_scheduler_reference.py SD_CHECKOUT KD_CHECKOUT OUT_DIR
  SD_CHECKOUT: a checkout of github.com/CompVis/stable-diffusion (ldm/modules/diffusionmodules/util.py:
               make_beta_schedule, make_ddim_timesteps, make_ddim_sampling_parameters; ldm/models/diffusion/ddim.py:
               DDIMSampler)
  KD_CHECKOUT: a checkout of github.com/crowsonkb/k-diffusion (k_diffusion/external.py: CompVisDenoiser,
               CompVisVDenoiser, the sigma <-> t mapping; k_diffusion/sampling.py: sample_euler)
  OUT_DIR:     tests/reference/golden (what the C# tests read)
For trees exported without .git, SD_COMMIT and KD_COMMIT name the commits in reference.json.

It writes OUT_DIR/sd_schedulers/:
  ddim/scheduler_config.json, euler/scheduler_config.json  diffusers scheduler configs of Stable Diffusion v1
      (scaled_linear 0.00085..0.012, 1000 steps, steps_offset 1, 'leading' spacing, set_alpha_to_one false)
  golden.safetensors
      alphas_cumprod_scaled_linear, alphas_cumprod_linear [1000] F64: CompVis's schedules (make_beta_schedule
          "linear" = diffusers' scaled_linear, "sqrt_linear" = diffusers' linear; 0.0001..0.02 for the latter) and
          the cumulative product DDPM.register_schedule takes (numpy, float64)
      ddim_timesteps_50|10|7 [n] I64: make_ddim_timesteps('uniform', n, 1000) (it adds 1: steps_offset 1)
      ddim_alphas_10, ddim_alphas_prev_10 [10] F64: make_ddim_sampling_parameters (eta 0)
      sigma_table [1000] F32: CompVisDenoiser's sigmas, ((1 - alphas_cumprod) / alphas_cumprod) ** 0.5
      euler_sigmas_leading_10 [11] F32: t_to_sigma at the leading timesteps, then sampling.append_zero
      kd_sigmas_10 [11] F32: k-diffusion's own get_sigmas(10) (t = linspace(999, 0, 10), log-sigma interpolation)
      x_T [2,4,8,8] F32: the fixed starting latent (unit variance)
      ddim_eps, ddim_v [10,2,4,8,8]: DDIMSampler.ddim_sampling from x_T, 10 steps, eta 0, the sample after each
          step; the model below as eps, and as v
      euler_eps, euler_v [10,2,4,8,8]: sample_euler from x_T * sigmas[0] over euler_sigmas_leading_10, the sample
          after each step (CompVisDenoiser; CompVisVDenoiser for v)
      euler_kd_eps [10,2,4,8,8]: the same over kd_sigmas_10
  reference.json: repos, commits, the fake model's constants

The fake model: model(x, t) = A * x + B + C * t with A = 0.1, B = 0.2, C = 0.0003 (per element, t the timestep the
sampler passes: an integer for DDIM, sigma_to_t's float for k-diffusion). The C# tests implement the same function.
As v: DDIMSampler in this checkout has no v-prediction, so the v case gives it eps = sqrt(a_t) v + sqrt(1 - a_t) x
(Salimans & Ho's relation between v and eps, a_t = alphas_cumprod[t]); k-diffusion's CompVisVDenoiser takes v itself.

The CompVis "model" is a plain object with what DDIMSampler reads (num_timesteps, betas, alphas_cumprod,
alphas_cumprod_prev as float32 tensors, device, apply_model): ldm/models/diffusion/ddpm.py (where register_schedule
lives) imports pytorch_lightning, which is not installed, so the schedule is built here from make_beta_schedule as
register_schedule does. DDIMSampler.register_buffer moves tensors to CUDA; the instance's is replaced by a plain
setattr.

Stand-ins (nothing of the references is copied): einops (rearrange/repeat, patterns 'b c h w -> b (h w) c' and
'b -> b d', unused on this path), ldm.util (PIL), tqdm and tqdm.auto (trange = range), and for k_diffusion/utils.py
and sampling.py the modules they import at the top but do not use here: scipy.integrate, torchdiffeq, torchsde, PIL,
safetensors, torchvision. k_diffusion/__init__.py (which imports the whole package) is not run: the package is a
module whose path is the checkout's k_diffusion/.

The committed goldens were made with Debian's torch 1.13 from CompVis/stable-diffusion at
21f890f9da3cfbeaba8e2ac3c425ee9e998d5229 and crowsonkb/k-diffusion at 4601bf085320592473f681a62808ed873d17fad5.
"""
import importlib, importlib.util, json, os, struct, subprocess, sys, types

import numpy as np
import torch

sd_checkout, kd_checkout, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
torch.set_num_threads(1)
A, B, C = 0.1, 0.2, 0.0003
STEPS = 10


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


def _unavailable(*_, **__):
    raise RuntimeError("stand-in: not available here")


_module("einops", rearrange=_rearrange, repeat=_repeat)
_module("ldm.util", instantiate_from_config=_unavailable)
_module("tqdm", tqdm=lambda it=None, **_: it)
_module("tqdm.auto", tqdm=lambda it=None, **_: it, trange=lambda *a, **_: range(*a))
_module("scipy")
_module("scipy.integrate", quad=_unavailable)
_module("torchdiffeq", odeint=_unavailable)
_module("torchsde", BrownianTree=_unavailable)
_module("PIL")
_module("PIL.Image")
_module("safetensors")
_module("torchvision")
_module("torchvision.transforms")
_module("torchvision.transforms.functional")
sys.modules["PIL"].Image = sys.modules["PIL.Image"]
sys.modules["torchvision"].transforms = sys.modules["torchvision.transforms"]
sys.modules["torchvision.transforms"].functional = sys.modules["torchvision.transforms.functional"]

sys.path.insert(0, sd_checkout)
ldm_util = importlib.import_module("ldm.modules.diffusionmodules.util")
ddim = importlib.import_module("ldm.models.diffusion.ddim")

kd = _module("k_diffusion")
kd.__path__ = [os.path.join(kd_checkout, "k_diffusion")]


def load(name):
    spec = importlib.util.spec_from_file_location(f"k_diffusion.{name}", os.path.join(kd_checkout, "k_diffusion", f"{name}.py"))
    m = importlib.util.module_from_spec(spec)
    m.__package__ = "k_diffusion"
    sys.modules[f"k_diffusion.{name}"] = m
    setattr(kd, name, m)
    spec.loader.exec_module(m)
    return m


load("utils")
sampling = load("sampling")
external = load("external")


def commit(checkout, variable):
    try:
        return subprocess.check_output(["git", "-C", checkout, "rev-parse", "HEAD"], text=True,
                                       stderr=subprocess.DEVNULL).strip()
    except Exception:
        return os.environ.get(variable, "unknown")


DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


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


def cumprod(schedule, start, end):
    betas = ldm_util.make_beta_schedule(schedule, 1000, linear_start=start, linear_end=end)
    return betas, np.cumprod(1.0 - betas, axis=0)


class FakeCompVisModel:
    """What DDIMSampler and CompVisDenoiser read of a LatentDiffusion, with the closed-form model."""

    def __init__(self, v):
        betas, ac = cumprod("linear", 0.00085, 0.012)
        self.num_timesteps = 1000
        self.betas = torch.tensor(betas, dtype=torch.float32)
        self.alphas_cumprod = torch.tensor(ac, dtype=torch.float32)
        self.alphas_cumprod_prev = torch.tensor(np.append(1.0, ac[:-1]), dtype=torch.float32)
        self.device = torch.device("cpu")
        self.parameterization = "eps"
        self.v = v

    @staticmethod
    def output(x, t):
        return A * x + B + C * t.to(torch.float32).reshape(-1, 1, 1, 1)

    def apply_model(self, x, t, cond=None):
        return self.output(x, t)


class VAsEps(FakeCompVisModel):
    """The v model seen by a sampler that takes eps: eps = sqrt(a_t) v + sqrt(1 - a_t) x."""

    def apply_model(self, x, t, cond=None):
        a = self.alphas_cumprod[t.long()].reshape(-1, 1, 1, 1)
        return a.sqrt() * self.output(x, t) + (1 - a).sqrt() * x


def ddim_trajectory(model, x_T):
    sampler = ddim.DDIMSampler(model)
    sampler.register_buffer = lambda name, attr: setattr(sampler, name, attr)
    sampler.make_schedule(STEPS, ddim_eta=0.0, verbose=False)
    states = []
    inner = sampler.p_sample_ddim

    def recorded(*args, **kwargs):
        out = inner(*args, **kwargs)
        states.append(out[0].clone())
        return out

    sampler.p_sample_ddim = recorded
    final, _ = sampler.ddim_sampling(None, tuple(x_T.shape), x_T=x_T.clone())
    assert torch.equal(final, states[-1])
    return torch.stack(states), sampler


def euler_trajectory(denoiser, x_T, sigmas):
    states = []
    final = sampling.sample_euler(denoiser, x_T * sigmas[0], sigmas, extra_args={"cond": None},
                                  callback=lambda d: states.append(d["x"].clone()) if d["i"] > 0 else None)
    states.append(final)
    return torch.stack(states)


with torch.no_grad():
    _, ac_scaled = cumprod("linear", 0.00085, 0.012)
    _, ac_linear = cumprod("sqrt_linear", 0.0001, 0.02)
    golden = {"alphas_cumprod_scaled_linear": torch.tensor(ac_scaled), "alphas_cumprod_linear": torch.tensor(ac_linear)}
    for n in (50, 10, 7):
        golden[f"ddim_timesteps_{n}"] = torch.tensor(ldm_util.make_ddim_timesteps("uniform", n, 1000, verbose=False), dtype=torch.int64)

    g = torch.Generator().manual_seed(41)
    x_T = torch.randn((2, 4, 8, 8), generator=g)
    golden["x_T"] = x_T
    eps_model, v_model = FakeCompVisModel(False), VAsEps(True)
    golden["ddim_eps"], sampler = ddim_trajectory(eps_model, x_T)
    golden["ddim_v"], _ = ddim_trajectory(v_model, x_T)
    golden["ddim_alphas_10"] = torch.tensor(np.asarray(sampler.ddim_alphas, dtype=np.float64))
    golden["ddim_alphas_prev_10"] = torch.tensor(np.asarray(sampler.ddim_alphas_prev, dtype=np.float64))

    denoiser = external.CompVisDenoiser(eps_model)
    v_denoiser = external.CompVisVDenoiser(FakeCompVisModel(True))
    golden["sigma_table"] = denoiser.sigmas.clone()
    leading = torch.tensor(np.flip(golden["ddim_timesteps_10"].numpy()).copy(), dtype=torch.float32)
    sigmas = sampling.append_zero(denoiser.t_to_sigma(leading))
    golden["euler_sigmas_leading_10"] = sigmas
    golden["euler_eps"] = euler_trajectory(denoiser, x_T, sigmas)
    golden["euler_v"] = euler_trajectory(v_denoiser, x_T, sigmas)
    kd_sigmas = denoiser.get_sigmas(STEPS)
    golden["kd_sigmas_10"] = kd_sigmas
    golden["euler_kd_eps"] = euler_trajectory(denoiser, x_T, kd_sigmas)

base = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "trained_betas": None, "steps_offset": 1, "timestep_spacing": "leading", "prediction_type": "epsilon"}
configs = {
    "ddim": {"_class_name": "DDIMScheduler", "_diffusers_version": "0.30.0", **base, "clip_sample": False,
             "set_alpha_to_one": False},
    "euler": {"_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.30.0", **base,
              "interpolation_type": "linear", "use_karras_sigmas": False},
}
d = os.path.join(out_dir, "sd_schedulers")
for name, config in configs.items():
    os.makedirs(os.path.join(d, name), exist_ok=True)
    with open(os.path.join(d, name, "scheduler_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
save_safetensors(os.path.join(d, "golden.safetensors"), golden)
with open(os.path.join(d, "reference.json"), "w") as f:
    json.dump({"repos": {"CompVis/stable-diffusion": commit(sd_checkout, "SD_COMMIT"),
                         "crowsonkb/k-diffusion": commit(kd_checkout, "KD_COMMIT")},
               "files": ["ldm/modules/diffusionmodules/util.py", "ldm/models/diffusion/ddim.py",
                         "k_diffusion/external.py", "k_diffusion/sampling.py"],
               "fake_model": {"a": A, "b": B, "c": C, "formula": "a * x + b + c * t"},
               "steps": STEPS, "seed": 41, "torch": torch.__version__}, f, indent=2)
    f.write("\n")
print("ddim timesteps 10:", golden["ddim_timesteps_10"].tolist(), "7:", golden["ddim_timesteps_7"].tolist())
print("euler sigmas:", [round(s, 4) for s in golden["euler_sigmas_leading_10"].tolist()])
print("kd sigmas:", [round(s, 4) for s in kd_sigmas.tolist()])
print("final |x| ddim eps/v, euler eps/v, euler kd:", [round(golden[k][-1].abs().mean().item(), 4)
      for k in ("ddim_eps", "ddim_v", "euler_eps", "euler_v", "euler_kd_eps")])
