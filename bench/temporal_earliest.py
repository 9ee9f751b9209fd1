#!/usr/bin/env python3
"""Earliest noise levels from `mminterp diffusion temporal` results (temporal.json, or an experiment's results JSON):
per attribute, where the probe on the denoiser's activations, the noisy-pixel control and the generation trajectory's
clean-image estimate first reach the probes' own bar (chance + half the way to 1).

Usage: python3 bench/temporal_earliest.py RESULTS.json [...]"""
import json, sys

CHANCE = {"Shape": 1 / 6, "Colour": 1 / 8, "Size": 1 / 2, "Position": 1 / 5, "Fill": 1 / 3}
NAMES = ["Shape", "Colour", "Size", "Position", "Fill"]  # MMInterp's ObjectAttribute order


def first(levels, values, bar):
    return next((levels[i] for i, v in enumerate(values) if v >= bar), None)


for path in sys.argv[1:]:
    t = json.load(open(path))["temporal"]
    levels = t["Timesteps"]
    print(path)
    for c in t["Curves"]:
        name = NAMES[c["Attribute"]]
        print(f"  {name:9s} activations {c['Earliest']}  pixel control {first(levels, c['PixelControl'], c['Threshold'])}")
    tr = t["Trajectory"]
    print("  trajectory (clean estimate while generating): " + ", ".join(
        f"{k} {round(v, 2) if v is not None else None}" for k, v in
        ((k, first(tr["T"], acc, CHANCE[k] + 0.5 * (1 - CHANCE[k]))) for k, acc in tr["Accuracy"].items())))
