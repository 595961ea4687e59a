"""Choose the chunk size by measurement: retrieval quality on our own question sets.

For each (size, overlap) the knowledge folder is indexed into a temporary data folder (the
vector cache is shared, so each distinct chunk text is embedded once) and every answerable
question of the sets is searched. A chunk is relevant when it contains a gold quote
(whitespace- and case-normalised). Prints one table row per setting.

    python -m benchmarks.chunking [--sets evals/source.jsonl evals/readings.jsonl] [--sizes 400 600 900 1200]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
from pathlib import Path

from benchmarks.common import EVALS, KNOWLEDGE, ROOT


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def load_questions(paths: list[Path]) -> list[dict]:
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row.get("answerable") and row.get("gold_quotes"):
                rows.append(row)
    return rows


def evaluate(settings, questions: list[dict]) -> dict[str, float]:
    from assistant.evaluation.metrics import mean_metrics, mrr_at_k
    from assistant.index.sync import sync_collection
    from assistant.retrieval.retriever import open_retriever

    sync_collection(settings)
    retriever = open_retriever(settings)
    rows = []
    for q in questions:
        passages = retriever.search(q["question"], 10)
        quotes = [norm(g) for g in q["gold_quotes"]]
        relevant = {p.chunk.id for p in passages if any(g in norm(p.chunk.text) for g in quotes)}
        ranked = [p.chunk.id for p in passages]
        rows.append(
            {
                "recall@1": float(bool(relevant & set(ranked[:1]))),
                "recall@3": float(bool(relevant & set(ranked[:3]))),
                "recall@5": float(bool(relevant & set(ranked[:5]))),
                "mrr@10": mrr_at_k(ranked, relevant, 10) if relevant else 0.0,
            }
        )
    summary = mean_metrics(rows)
    lengths = [len(c.text) for c in retriever.index.chunks.values()]
    summary.update(chunks=len(lengths), mean_chars=statistics.mean(lengths))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", type=Path, default=[EVALS / "source.jsonl", EVALS / "readings.jsonl"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[400, 600, 900, 1200, 1600])
    parser.add_argument("--overlaps", nargs="+", type=int, default=[0, 150])
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".assistant" / "cache")
    args = parser.parse_args()
    from assistant.config import Settings, offline_environment

    offline_environment()

    questions = load_questions(args.sets)
    print(f"{len(questions)} answerable questions from {', '.join(p.name for p in args.sets)}")
    print("| size | overlap | chunks | mean chars | Recall@1 | Recall@3 | Recall@5 | MRR@10 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        for overlap in args.overlaps:
            if overlap >= size:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(
                    data_dir=Path(tmp),
                    cache_dir=args.cache_dir,
                    knowledge_dir=KNOWLEDGE,
                    chunk_size=size,
                    chunk_overlap=overlap,
                )
                m = evaluate(settings, questions)
            print(
                f"| {size} | {overlap} | {m['chunks']} | {m['mean_chars']:.0f} | {m['recall@1']:.3f} | "
                f"{m['recall@3']:.3f} | {m['recall@5']:.3f} | {m['mrr@10']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
