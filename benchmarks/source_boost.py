"""Retrieval on our question sets by ``source_boost`` (the source-text preference).

    python -m benchmarks.source_boost [--boosts 0 0.5 1 2]

Uses the same indexing and containment relevance as ``benchmarks/chunking.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.common import EVALS, KNOWLEDGE, ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boosts", nargs="+", type=float, default=[0.0, 0.5, 1.0, 2.0])
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".assistant" / "cache")
    args = parser.parse_args()
    from assistant.config import Settings, offline_environment
    from benchmarks.chunking import evaluate, load_questions

    offline_environment()
    print("| set | source_boost | Recall@1 | Recall@3 | Recall@5 | MRR@10 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in ("source", "readings"):
        questions = load_questions([EVALS / f"{name}.jsonl"])
        for boost in args.boosts:
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(
                    data_dir=Path(tmp), cache_dir=args.cache_dir, knowledge_dir=KNOWLEDGE, source_boost=boost
                )
                m = evaluate(settings, questions)
            print(
                f"| {name} | {boost:g} | {m['recall@1']:.3f} | {m['recall@3']:.3f} | {m['recall@5']:.3f} | "
                f"{m['mrr@10']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
