"""Calibrate and measure abstention (answer vs decline).

Sets:

- ``knowledge``: evals/calibration/knowledge-{answerable,unanswerable}.jsonl over the default
  collection (knowledge/).
- ``tydi``: TyDi-id answerable questions (queries_valid.jsonl) and IDK-MRC unanswerable ones
  (unanswerable_valid.jsonl) over a calibration collection made of their gold passages plus
  random others from the TyDi corpus (built from a temporary folder of .txt files with the
  normal ``sync_collection``; the third-party data is never copied into the repository).

Usage::

    python benchmarks/abstention.py                      # measure the weights in assistant/answer.py
    python benchmarks/abstention.py --fit                # also fit new weights (5-fold CV figures)
    python benchmarks/abstention.py --data-dir /tmp/abst --per-set 150 --others 500

Prints, for each set and threshold, answered rate on answerable questions (recall of
answering), declined rate on unanswerable ones, and the precision of declining.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path("/work/shared/data")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def tydi_collection(settings, per_set: int, others: int, seed: int = 13) -> tuple[list[dict], list[dict]]:
    """Index the calibration subset of TyDi passages; return (answerable, unanswerable) questions."""
    from assistant.indexing import sync_collection

    rng = random.Random(seed)
    corpus = {row["id"]: row["text"] for row in read_jsonl(DATA / "tydiqa-id/corpus.jsonl")}
    answerable = rng.sample(read_jsonl(DATA / "tydiqa-id/queries_valid.jsonl"), per_set)
    unanswerable = rng.sample(read_jsonl(DATA / "idk-mrc/unanswerable_valid.jsonl"), per_set)
    chosen = {pid for q in answerable for pid in q["gold_passage_ids"]}
    chosen |= {pid for q in unanswerable for pid in q["source_passage_ids"]}
    rest = sorted(set(corpus) - chosen)
    chosen |= set(rng.sample(rest, others))
    folder = Path(tempfile.mkdtemp(prefix="tydi-calibration-"))
    for pid in sorted(chosen):
        (folder / f"{pid}.txt").write_text(corpus[pid], encoding="utf-8")
    sync_collection(settings, "tydi-calibration", folder)
    return answerable, unanswerable


def features(assistant, collection: str | None, questions: list[str], k: int = 5) -> list[list[float]]:
    """The abstention signals of each question, exactly as the service computes them."""
    from assistant.answer import compute_signals
    from assistant.service import SIGNAL_DEPTH

    retriever = assistant.retriever(collection)
    scorer, weights = assistant.scorer(retriever), assistant.term_weights(retriever)
    rows = []
    for question in questions:
        found = retriever.search(question, max(k, SIGNAL_DEPTH))
        sentences = scorer.sentences(question, found[:k], weights=weights)
        rows.append(compute_signals(question, found, sentences, k, weights).vector())
    return rows


def report(name: str, probs_answerable: list[float], probs_unanswerable: list[float], thresholds) -> None:
    print(f"\n{name}: {len(probs_answerable)} answerable, {len(probs_unanswerable)} unanswerable")
    print(f"{'threshold':>9} {'answered':>9} {'declined':>9} {'decline precision':>18}")
    for t in thresholds:
        answered = sum(p >= t for p in probs_answerable) / max(1, len(probs_answerable))
        declined_u = sum(p < t for p in probs_unanswerable)
        declined_a = sum(p < t for p in probs_answerable)
        declined = declined_u / max(1, len(probs_unanswerable))
        precision = declined_u / max(1, declined_u + declined_a)
        print(f"{t:>9.2f} {answered:>9.1%} {declined:>9.1%} {precision:>18.1%}")


def fit(sets: dict[str, tuple[list, list]]) -> None:
    """Fit a logistic regression on all sets (balanced per set) and print weights and CV figures."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from assistant.answer import SIGNAL_NAMES

    x, y, w, tag = [], [], [], []
    for name, (pos, neg) in sets.items():
        for rows, label in ((pos, 1), (neg, 0)):
            x += rows
            y += [label] * len(rows)
            w += [1.0 / (2 * len(rows))] * len(rows)  # each set and class weighs the same
            tag += [name] * len(rows)
    x, y, w, tag = np.array(x), np.array(y), np.array(w), np.array(tag)
    w = w * len(w) / w.sum()  # mean weight 1, so the regularisation strength means what it says
    model = LogisticRegression(C=1.0, max_iter=5000)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    probs = cross_val_predict(model, x, y, cv=folds, method="predict_proba", params={"sample_weight": w})[:, 1]
    model.fit(x, y, sample_weight=w)
    print("\nfitted weights (paste into assistant/answer.py):")
    print("WEIGHTS =", [round(float(c), 2) for c in model.coef_[0]], " # ", SIGNAL_NAMES)
    print("BIAS =", round(float(model.intercept_[0]), 2))
    for name in sets:
        mask = tag == name
        report(f"{name} (5-fold cross-validated)", list(probs[mask & (y == 1)]), list(probs[mask & (y == 0)]),
               [0.3, 0.4, 0.5, 0.6, 0.7])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "assistant-abstention")
    parser.add_argument("--per-set", type=int, default=150)
    parser.add_argument("--others", type=int, default=500)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--skip-tydi", action="store_true")
    parser.add_argument("--from-signals", action="store_true", help="Reuse DATA_DIR/signals.json of an earlier run.")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from assistant.config import Settings
    from assistant.indexing import sync_collection
    from assistant.service import Assistant

    if args.from_signals:
        sets = json.loads((args.data_dir / "signals.json").read_text())
        return summarise(sets, args.fit)
    settings = Settings(data_dir=args.data_dir, knowledge_dir=ROOT / "knowledge")
    sync_collection(settings)
    assistant = Assistant(settings)
    cal = ROOT / "evals/calibration"
    sets = {"knowledge": (
        features(assistant, None, [q["question"] for q in read_jsonl(cal / "knowledge-answerable.jsonl")]),
        features(assistant, None, [q["question"] for q in read_jsonl(cal / "knowledge-unanswerable.jsonl")]),
    )}
    if not args.skip_tydi:
        answerable, unanswerable = tydi_collection(settings, args.per_set, args.others)
        sets["tydi/idk-mrc"] = (
            features(assistant, "tydi-calibration", [q["question"] for q in answerable]),
            features(assistant, "tydi-calibration", [q["question"] for q in unanswerable]),
        )
    (args.data_dir / "signals.json").write_text(json.dumps(sets))
    summarise(sets, args.fit)


def summarise(sets: dict, refit: bool) -> None:
    from assistant.answer import Signals, answerable_probability

    prob = lambda rows: [answerable_probability(Signals(*r)) for r in rows]  # noqa: E731
    for name, (pos, neg) in sets.items():
        report(f"{name} (weights in assistant/answer.py)", prob(pos), prob(neg), [0.3, 0.4, 0.5, 0.6, 0.7])
    if refit:
        fit(sets)


if __name__ == "__main__":
    main()
