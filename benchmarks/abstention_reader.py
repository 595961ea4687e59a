"""Refit the abstention model with the reader's margin: the eleven retrieval signals keep the
weights ``benchmarks.abstention`` fitted (their combined score is rescaled), and the reader's
margin gets its own weight, with a new bias. Three parameters, fitted on the signals that
``python -m benchmarks.abstention --data-dir DIR --report-held-out`` saved in ``DIR/signals.json``,
each set weighted equally (and each class within a set), every fitted set also reported when
it is left out of the fit; the held-out set is never fitted on.

Usage::

    python -m benchmarks.abstention_reader --data-dir DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from assistant.answering.abstention import BIAS, WEIGHTS

# The shipped model's retrieval part (its last weight is the reader's margin's).
RETRIEVAL_WEIGHTS, RETRIEVAL_BIAS = WEIGHTS[:-1], BIAS


def split(rows: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    """(retrieval score, reader margin) of each row of signals."""
    x = np.asarray(rows, dtype=float)
    return x[:, :11] @ np.asarray(RETRIEVAL_WEIGHTS) + RETRIEVAL_BIAS, x[:, 11]


def probability(params, rows) -> np.ndarray:
    score, margin = split(rows)
    return 1.0 / (1.0 + np.exp(-np.clip(params[0] * score + params[1] * margin + params[2], -50, 50)))


def fit(sets: dict, names: list[str]) -> np.ndarray:
    """(scale, reader weight, bias) by balanced logistic loss over ``names``."""
    parts = [
        (rows, label, 1.0 / len(rows) / len(names)) for name in names for rows, label in zip(sets[name], (1, 0)) if rows
    ]

    def loss(p):
        total = 0.0
        for rows, label, weight in parts:
            prob = probability(p, rows)
            total -= weight * np.sum(np.log(prob + 1e-9) if label else np.log(1 - prob + 1e-9))
        return total + 1e-3 * float(np.sum(np.square(p)))

    return minimize(loss, np.array([1.0, 0.0, 0.0])).x


def line(name: str, pos, neg, params) -> str:
    answered = float(np.mean(probability(params, pos) >= 0.5)) if pos else float("nan")
    declined = float(np.mean(probability(params, neg) < 0.5)) if neg else float("nan")
    return f"{name:40s} answered {answered:.3f}  declined {declined:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="the folder with signals.json")
    args = parser.parse_args()
    saved = json.loads((args.data_dir / "signals.json").read_text())
    sets, held_out = saved["sets"], saved.get("held_out", {})
    params = fit(sets, list(sets))
    for name, (pos, neg) in {**sets, **held_out}.items():
        print(line(f"{name} (before the reader)", pos, neg, [1.0, 0.0, 0.0]))
        print(line(f"{name} (with the reader)", pos, neg, params))
    for name in sets:
        print(line(f"{name} (left out of the fit)", *sets[name], fit(sets, [n for n in sets if n != name])))
    weights = [round(float(params[0] * w), 3) for w in RETRIEVAL_WEIGHTS] + [round(float(params[1]), 3)]
    print("WEIGHTS =", weights)
    print("BIAS =", round(float(params[0] * RETRIEVAL_BIAS + params[2]), 3))


if __name__ == "__main__":
    main()
