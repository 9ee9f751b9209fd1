"""Helpers the PyTorch peers of the benchmarks share: peak memory from /proc and safetensors reading (Debian has no
python safetensors package)."""
import json, struct
import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "U8": torch.uint8, "I64": torch.int64}


def status(field):
    """A /proc/self/status field in MB (VmHWM, VmRSS), NaN when absent."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def read_safetensors(path):
    """The header by hand, tensors as views of one buffer."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        lo, hi = e["data_offsets"]
        dt = DTYPES[e["dtype"]]
        size = torch.empty(0, dtype=dt).element_size()
        out[name] = torch.frombuffer(data, dtype=dt, count=(hi - lo) // size, offset=lo).reshape(e["shape"]) if hi > lo else torch.empty(e["shape"], dtype=dt)
    return out
