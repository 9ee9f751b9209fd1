#!/usr/bin/env python3
"""Reference peer for the SAE benchmark: the same dense ReLU SAE training step in PyTorch eager.

Same shapes and loss as MMInterp's ReLU SAE step: pre-encoder bias, L1 weighted by decoder row norms,
Adam, global-norm gradient clipping, a batch gathered from a row pool each step.
Prints `step_seconds: X` (median over the timed steps), `step_times: a,b,...` and `peak_rss_mb: Y`.
"""
import argparse, os, resource, statistics, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--d", type=int, default=512)
p.add_argument("--m", type=int, default=8192)
p.add_argument("--batch", type=int, default=4096)
p.add_argument("--steps", type=int, default=6)
p.add_argument("--warmup", type=int, default=2)
a = p.parse_args()

torch.set_num_threads(os.cpu_count() or 1)  # Debian's build defaults to 1 thread here; give it every core.
torch.manual_seed(0)
d, m, B = a.d, a.m, a.batch
pool = torch.randn(4 * B, d)
W_dec = torch.randn(m, d); W_dec = (W_dec / W_dec.norm(dim=1, keepdim=True) * 0.1).requires_grad_()
W_enc = W_dec.detach().t().clone().requires_grad_()
b_enc = torch.zeros(m, requires_grad=True)
b_dec = torch.zeros(d, requires_grad=True)
params = [W_enc, b_enc, W_dec, b_dec]
opt = torch.optim.Adam(params, lr=1e-4)
l1 = 1.0

def step(i):
    idx = torch.randint(0, pool.shape[0], (B,))
    x = pool[idx]
    z = torch.relu((x - b_dec) @ W_enc + b_enc)
    xhat = z @ W_dec + b_dec
    mse = (xhat - x).pow(2).sum(-1).mean()
    sparsity = (z * W_dec.norm(dim=1)).sum(-1).mean() * l1
    loss = mse + sparsity
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss.item()

times = []
for i in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    step(i)
    if i >= a.warmup:
        times.append(time.perf_counter() - t0)
print(f"torch_version: {torch.__version__} threads: {torch.get_num_threads()}")
print(f"step_seconds: {statistics.median(times):.6f}")
print("step_times: " + ",".join(f"{t:.6f}" for t in times))
print(f"peak_rss_mb: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
