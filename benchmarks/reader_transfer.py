"""Does the reader's margin tell answerable from unanswerable questions on our sets, and on readings it was not
trained on?

For every question of our sets (the fitted ones, ``evals/holdout`` and the three blind student sets) the assistant
retrieves and reads as it does when answering; the script records the reader's best margin and the abstention
model's probability, then prints each score's ROC AUC (answerable against unanswerable) per set, split by reading:

- **trained readings**: the readings that ``assistant/models/training/`` has questions about (the reader may have
  been fine-tuned on other questions about them);
- **unseen readings**: the others. A question's reading is its first gold source; an unanswerable question has none,
  so the reading of its best retrieved passage stands in.

Usage::

    python -m benchmarks.reader_transfer --data-dir /tmp/transfer                       # the shipped reader
    python -m benchmarks.reader_transfer --data-dir /tmp/transfer --weights /tmp/reader6 # another one
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.abstention import HELD_OUT, OWN_SETS
from benchmarks.common import KNOWLEDGE, ROOT, read_jsonl

TRAINING = ROOT / "assistant" / "models" / "training"


def trained_readings() -> set[str]:
    """The readings the reader's written training questions are about."""
    return {row["reading"] for path in TRAINING.glob("*.jsonl") for row in read_jsonl(path)}


def auc(pos: list[float], neg: list[float]) -> float:
    """ROC AUC: the chance that an answerable question scores above an unanswerable one (ties count half); nan
    when either class is empty."""
    from sklearn.metrics import roc_auc_score

    if not pos or not neg:
        return float("nan")
    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg))


def question_rows(assistant, sets: dict[str, list[Path]]) -> list[dict]:
    """Each question's set, label, reading, reader margin and abstention probability."""
    from assistant.service import SIGNAL_DEPTH

    retriever = assistant.retriever(None)
    rows = []
    for name, files in sets.items():
        for item in (item for f in files for item in read_jsonl(f)):
            found = retriever.search(item["question"], SIGNAL_DEPTH)
            evidence = assistant.evidence(item["question"], found, 5, retriever)
            reading = (item.get("sources") or [found[0].chunk.source if found else ""])[0]
            margin = evidence.reading.margin if evidence.reading and evidence.reading.spans else -20.0
            rows.append(
                {
                    "set": name,
                    "question": item["question"],
                    "answerable": bool(item.get("answerable", True)),
                    "reading": reading,
                    "margin": margin,
                    "probability": evidence.confidence,
                }
            )
    return rows


def report(rows: list[dict], trained: set[str]) -> None:
    print(f"{'set':24} {'readings':9} {'answerable/not':>15} {'margin AUC':>11} {'p AUC':>7}")
    names = list(dict.fromkeys(r["set"] for r in rows)) + ["all student sets"]
    for name in names:
        for part in ("trained", "unseen"):
            chosen = [
                r
                for r in rows
                if (r["set"] == name or (name == "all student sets" and "students" in r["set"]))
                and (r["reading"] in trained) == (part == "trained")
            ]
            pos = [r for r in chosen if r["answerable"]]
            neg = [r for r in chosen if not r["answerable"]]
            margin = auc([r["margin"] for r in pos], [r["margin"] for r in neg])
            prob = auc([r["probability"] for r in pos], [r["probability"] for r in neg])
            print(f"{name:24} {part:9} {f'{len(pos)}/{len(neg)}':>15} {margin:>11.3f} {prob:>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(".assistant/bench/transfer"))
    parser.add_argument("--weights", type=Path, default=None, help="reader weights folder (default: shipped)")
    args = parser.parse_args()
    from assistant.config import Settings, offline_environment

    offline_environment()
    from assistant.index.sync import sync_collection
    from assistant.service import Assistant

    settings = Settings(data_dir=args.data_dir, knowledge_dir=KNOWLEDGE, reader_weights=args.weights)
    sync_collection(settings)
    rows = question_rows(Assistant(settings), {**OWN_SETS, **HELD_OUT})
    (args.data_dir / "rows.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    report(rows, trained_readings())


if __name__ == "__main__":
    main()
