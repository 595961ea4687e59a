"""Calibrate and measure abstention (answer vs decline).

Sets, each a list of answerable and unanswerable questions:

- ``knowledge calibration``, ``evals/source``, ``evals/readings``: our own question files over the
  default collection (knowledge/). The weights are fitted on these and on TyDi/IDK-MRC; each set
  is also reported when it was left out of the fit (leave-one-set-out), which is the figure to
  trust for new questions.
- ``tydi/idk-mrc``: TyDi-id answerable questions (queries_valid.jsonl) and IDK-MRC unanswerable
  ones (unanswerable_valid.jsonl) over a calibration collection made of their gold passages plus
  random others from the TyDi corpus (built from a temporary folder of .txt files with the
  normal ``sync_collection``; the third-party data is never copied into the repository).
- ``evals/holdout``: written blind to the model; never fitted on, only reported.

Usage::

    python -m benchmarks.abstention --data-dir /tmp/abst          # measure the weights in assistant/answer.py
    python -m benchmarks.abstention --data-dir /tmp/abst --fit    # also fit new weights
    python -m benchmarks.abstention --data-dir /tmp/abst --from-signals --fit   # reuse saved signals

Prints, for each set and threshold, answered rate on answerable questions (recall of
answering), declined rate on unanswerable ones, and the precision of declining.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from benchmarks.common import EVALS, KNOWLEDGE, add_data_argument, read_jsonl


def tydi_collection(settings, data: Path, per_set: int, others: int, seed: int = 13) -> tuple[list[dict], list[dict]]:
    """Index the calibration subset of TyDi passages; return (answerable, unanswerable) questions.

    The passages are written as .txt files to a temporary folder, indexed, and the folder deleted
    (the collection's index keeps its chunks)."""
    from assistant.index.sync import sync_collection

    rng = random.Random(seed)
    corpus = {row["id"]: row["text"] for row in read_jsonl(data / "tydiqa-id/corpus.jsonl")}
    answerable = rng.sample(read_jsonl(data / "tydiqa-id/queries_valid.jsonl"), per_set)
    unanswerable = rng.sample(read_jsonl(data / "idk-mrc/unanswerable_valid.jsonl"), per_set)
    chosen = {pid for q in answerable for pid in q["gold_passage_ids"]}
    chosen |= {pid for q in unanswerable for pid in q["source_passage_ids"]}
    rest = sorted(set(corpus) - chosen)
    chosen |= set(rng.sample(rest, others))
    with tempfile.TemporaryDirectory(prefix="tydi-calibration-") as tmp:
        folder = Path(tmp)
        for pid in sorted(chosen):
            (folder / f"{pid}.txt").write_text(corpus[pid], encoding="utf-8")
        sync_collection(settings, "tydi-calibration", folder)
    return answerable, unanswerable


def features(
    assistant, collection: str | None, questions: list[str], k: int = 5, reader: list | None = None
) -> list[list[float]]:
    """The abstention signals of each question, exactly as the service computes them; ``reader``
    collects ``[question, the reader's raw margin]`` per question (for ``benchmarks.reader_margin``)."""
    from assistant.service import SIGNAL_DEPTH

    retriever = assistant.retriever(collection)
    rows = []
    for question in questions:
        found = retriever.search(question, max(k, SIGNAL_DEPTH))
        evidence = assistant.evidence(question, found, k, retriever)
        rows.append(evidence.signals.vector())
        if reader is not None:
            reader.append([question, evidence.reading.margin if evidence.reading else None])
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


def _balanced_weights(tags, y):
    """Sample weights under which every set and class weighs the same (mean weight 1)."""
    import numpy as np

    w = np.ones(len(y))
    for tag in set(tags):
        for label in (0, 1):
            mask = (tags == tag) & (y == label)
            if mask.any():
                w[mask] = 1.0 / mask.sum()
    return w * len(w) / w.sum()


def fit_weights(x, y, tags, c: float = 1.0):
    """Logistic regression on standardised signals, returned as raw-signal weights and bias."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y, sample_weight=_balanced_weights(tags, y))
    coef = model.coef_[0] / scale
    return coef, float(model.intercept_[0] - np.sum(coef * mean))


def fit(sets: dict[str, tuple[list, list]], held_out: dict[str, tuple[list, list]], c: float = 1.0) -> None:
    """Fit on every set; report each set when it was left out of the fit, and the held-out sets."""
    import numpy as np

    from assistant.answering.signals import SIGNAL_NAMES

    x, y, tag = [], [], []
    for name, (pos, neg) in sets.items():
        for rows, label in ((pos, 1), (neg, 0)):
            x += rows
            y += [label] * len(rows)
            tag += [name] * len(rows)
    x, y, tag = np.array(x, dtype=float), np.array(y), np.array(tag)
    prob = lambda rows, coef, bias: list(1 / (1 + np.exp(-(np.array(rows, dtype=float) @ coef + bias))))  # noqa: E731
    for name, (pos, neg) in sets.items():
        coef, bias = fit_weights(x[tag != name], y[tag != name], tag[tag != name], c)
        report(f"{name} (left out of the fit)", prob(pos, coef, bias), prob(neg, coef, bias), [0.4, 0.5, 0.6])
    coef, bias = fit_weights(x, y, tag, c)
    print("\nfitted on all sets (paste into assistant/answer.py):")
    print("WEIGHTS =", [round(float(v), 2) for v in coef], " # ", SIGNAL_NAMES)
    print("BIAS =", round(bias, 2))
    for name, (pos, neg) in {**sets, **held_out}.items():
        report(f"{name} (fitted weights)", prob(pos, coef, bias), prob(neg, coef, bias), [0.4, 0.5, 0.6])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(".assistant/bench/abstention"),
        help="indexes, vector cache and signals.json of this benchmark",
    )
    add_data_argument(parser)
    parser.add_argument("--per-set", type=int, default=150)
    parser.add_argument("--others", type=int, default=500)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument(
        "--report-held-out",
        action="store_true",
        help="Also report the held-out set (do this once a change is final, not while choosing).",
    )
    parser.add_argument("--c", type=float, default=1.0, help="Inverse regularisation strength of the fit.")
    parser.add_argument("--skip-tydi", action="store_true")
    parser.add_argument("--from-signals", action="store_true", help="Reuse DATA_DIR/signals.json of an earlier run.")
    args = parser.parse_args()
    from assistant.config import Settings, offline_environment

    offline_environment()
    from assistant.index.sync import sync_collection
    from assistant.service import Assistant

    if args.from_signals:
        saved = json.loads((args.data_dir / "signals.json").read_text())
        return summarise(saved["sets"], saved["held_out"] if args.report_held_out else {}, args.fit, args.c)
    settings = Settings(data_dir=args.data_dir, knowledge_dir=KNOWLEDGE)
    sync_collection(settings)
    assistant = Assistant(settings)
    reader: dict[str, tuple[list, list]] = {}
    sets = {name: own_set(assistant, files, reader.setdefault(name, ([], []))) for name, files in OWN_SETS.items()}
    held_out = {
        name: own_set(assistant, files, reader.setdefault(name, ([], [])))
        for name, files in HELD_OUT.items()
        if args.report_held_out and all(f.exists() for f in files)
    }
    if not args.skip_tydi:
        answerable, unanswerable = tydi_collection(settings, args.data, args.per_set, args.others)
        pos, neg = reader.setdefault("tydi/idk-mrc", ([], []))
        sets["tydi/idk-mrc"] = (
            features(assistant, "tydi-calibration", [q["question"] for q in answerable], reader=pos),
            features(assistant, "tydi-calibration", [q["question"] for q in unanswerable], reader=neg),
        )
    saved = {"sets": sets, "held_out": held_out, "reader": reader}
    (args.data_dir / "signals.json").write_text(json.dumps(saved))
    summarise(sets, held_out, args.fit, args.c)


OWN_SETS = {  # fitted on (each also reported when left out of the fit)
    "knowledge calibration": [
        EVALS / "calibration/knowledge-answerable.jsonl",
        EVALS / "calibration/knowledge-unanswerable.jsonl",
    ],
    "evals/source": [EVALS / "source.jsonl"],
    "evals/readings": [EVALS / "readings.jsonl"],
}
HELD_OUT = {  # never fitted on: written blind to the model, measured once per change
    "evals/holdout": [EVALS / "holdout/answerable.jsonl", EVALS / "holdout/unanswerable.jsonl"],
    "evals/students": [EVALS / "students/questions.jsonl"],
    "evals/students2": [EVALS / "students2/questions.jsonl"],
    "evals/students3": [EVALS / "students3/questions.jsonl"],
}


def own_set(assistant, files: list[Path], reader: tuple[list, list] | None = None) -> tuple[list, list]:
    """(answerable signals, unanswerable signals) of our question files over the default collection
    (``reader``: where :func:`features` collects the reader's margins of each)."""
    items = [item for f in files for item in read_jsonl(f)]
    pos = [q["question"] for q in items if q.get("answerable", True)]
    neg = [q["question"] for q in items if not q.get("answerable", True)]
    reader = reader or ([], [])
    return features(assistant, None, pos, reader=reader[0]), features(assistant, None, neg, reader=reader[1])


def summarise(sets: dict, held_out: dict, refit: bool, c: float = 1.0) -> None:
    from assistant.answering.abstention import answerable_probability
    from assistant.answering.signals import Signals

    prob = lambda rows: [answerable_probability(Signals(*r)) for r in rows]  # noqa: E731
    for name, (pos, neg) in {**sets, **held_out}.items():
        report(f"{name} (weights in assistant/answer.py)", prob(pos), prob(neg), [0.4, 0.5, 0.6])
    if refit:
        fit(sets, held_out, c)


if __name__ == "__main__":
    main()
