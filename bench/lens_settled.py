#!/usr/bin/env python3
"""Noise levels at which each row of a U-Net's steering lens settles, from `mminterp diffusion lens` results (lens.json,
or an experiment's results JSON): per attribute and row, the noisiest sampling step from which the row's lens image
reads the prompt's attribute at the bar (chance + half the way to 1) at every later step; "never" if it does not.
Also the rows' accuracy a quarter and half way through sampling, and each translator's R² on the scored run.

Usage: python3 bench/lens_settled.py RESULTS.json [...]"""
import json, sys

CHANCE = {"Shape": 1 / 6, "Colour": 1 / 8, "Size": 1 / 2, "Position": 1 / 5, "Fill": 1 / 3}


def settled(levels, values, bar):
    for i in range(len(values)):
        if all(v >= bar for v in values[i:]):
            return f"{levels[i]:.2f}"
    return "never"


for path in sys.argv[1:]:
    lens = json.load(open(path))["lens"]
    t, rows = lens["T"], lens["LayerNames"]
    quarter, middle = len(t) // 4, len(t) // 2
    print(f"{path} (judged against: {lens['Reference']}; steps {len(t)}; quarter s={t[quarter]:.2f}, middle s={t[middle]:.2f})")
    for attribute, acc in lens["Accuracy"].items():
        bar = CHANCE[attribute] + 0.5 * (1 - CHANCE[attribute])
        cells = [f"{row} {settled(t, acc[r], bar)} ({acc[r][quarter]:.2f}/{acc[r][middle]:.2f})" for r, row in enumerate(rows)]
        print(f"  {attribute:9s} bar {bar:.2f}: " + " | ".join(cells))
    print("  R2: " + ", ".join(f"{k} {v:.3f}" for k, v in (lens.get("translator_r2") or {}).items()))
