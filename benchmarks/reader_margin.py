"""How the reader's no-answer margin separates answerable from unanswerable questions, per set, and
which use of it as the twelfth abstention signal generalises: none, the margin on every question, or
the margin on factoid questions only (the shipped one, ``assistant.answering.signals.factoid_margin``).

Reads ``DIR/signals.json`` written by ``python -m benchmarks.abstention --data-dir DIR --report-held-out``
(the signals and the reader's raw margin of every question). Each variant is fitted like the shipped
model (:func:`benchmarks.abstention.fit_weights`, every set and class weighted equally) on the fitted
sets; each fitted set is also reported left out of the fit; the held-out sets are never fitted on.
Answered / declined at threshold 0.5.

    python -m benchmarks.reader_margin --data-dir DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.abstention import fit_weights


def variant_signal(name: str, question: str, margin: float | None) -> float:
    """The twelfth signal under variant ``name``."""
    from assistant.answering.reading import NO_SPAN_MARGIN
    from assistant.answering.signals import scaled_margin
    from assistant.text.query import FACTOID_QUESTION

    clipped = scaled_margin(NO_SPAN_MARGIN if margin is None else margin)
    if name == "none":
        return 0.0
    if name == "every question":
        return clipped
    return clipped if FACTOID_QUESTION.search(question) else 0.0


def matrices(saved: dict, names: list[str], variant: str):
    """(signals, labels, set tags) of ``names`` with the twelfth signal rebuilt under ``variant``."""
    x, y, tag = [], [], []
    groups = {**saved["sets"], **saved["held_out"]}
    for name in names:
        for label, rows, extra in zip((1, 0), groups[name], saved["reader"][name]):
            for row, (question, margin) in zip(rows, extra):
                x.append(row[:11] + [variant_signal(variant, question, margin)])
                y.append(label)
                tag.append(name)
    return np.array(x, dtype=float), np.array(y), np.array(tag)


def rates(coef, bias, x, y) -> str:
    prob = 1.0 / (1.0 + np.exp(-(x @ coef + bias)))
    return f"{np.mean(prob[y == 1] >= 0.5):.2f} / {np.mean(prob[y == 0] < 0.5):.2f}"


def margins_table(saved: dict) -> None:
    from assistant.answering.reading import NO_SPAN_MARGIN, SPAN_FLOOR

    print("| set | answerable: median margin, share > -3 | unanswerable: median margin, share > -3 |")
    print("|---|---|---|")
    for name, (pos, neg) in saved["reader"].items():
        cells = []
        for extra in (pos, neg):
            m = np.array([v if v is not None else NO_SPAN_MARGIN for _, v in extra])
            cells.append(f"{np.median(m):+.2f}, {np.mean(m > SPAN_FLOOR):.2f}" if len(m) else "-")
        print(f"| {name} | {cells[0]} | {cells[1]} |")


def variants_table(saved: dict) -> None:
    fitted, held = list(saved["sets"]), list(saved["held_out"])
    names = ("none", "every question", "factoid questions")
    print("\n| set (answered / declined) | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    lines: dict[str, list[str]] = {}
    for variant in names:
        x, y, tag = matrices(saved, fitted, variant)
        for name in fitted:
            coef, bias = fit_weights(x[tag != name], y[tag != name], tag[tag != name])
            lines.setdefault(f"{name}, left out", []).append(rates(coef, bias, *matrices(saved, [name], variant)[:2]))
        coef, bias = fit_weights(x, y, tag)
        for name in fitted + held:
            label = f"{name}, {'fitted' if name in fitted else 'held out'}"
            lines.setdefault(label, []).append(rates(coef, bias, *matrices(saved, [name], variant)[:2]))
    for label, cells in lines.items():
        print(f"| {label} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="the folder with signals.json")
    args = parser.parse_args()
    saved = json.loads((args.data_dir / "signals.json").read_text())
    if "reader" not in saved:
        raise SystemExit("signals.json has no reader margins: rerun python -m benchmarks.abstention --report-held-out")
    margins_table(saved)
    variants_table(saved)


if __name__ == "__main__":
    main()
