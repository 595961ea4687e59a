"""Does the reader's has-answer score rerank TyDi-id passages better than hybrid retrieval alone?

Each question's top ``--depth`` hybrid passages are read by the shipped reader; the reranked score is
``z(fused) + weight * z(margin)`` (z-scores within the question's candidates; the reader's margin is
its span score over its no-answer score). The weight is chosen on a seeded sample of TyDi-id *train*
questions and then reported on all *valid* questions beside hybrid alone (weight 0), so the valid
figures are held out.

    python -m benchmarks.rerank_reader [--data ../shared/data] [--data-dir .assistant/bench] [--train-sample 150]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from benchmarks.common import add_data_argument

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_data_argument(parser)
    parser.add_argument("--data-dir", type=Path, default=Path(".assistant/bench"), help="index and vector cache")
    parser.add_argument("--depth", type=int, default=10, help="passages read and reranked per question")
    parser.add_argument("--train-sample", type=int, default=150, help="train questions to choose the weight on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def candidates(retriever, reader, queries: list[dict], depth: int) -> list[dict]:
    """Per question: candidate ids, fused scores, reader margins and the gold ids."""
    rows = []
    for q in queries:
        passages = retriever.search(q["question"], k=depth)
        spans = reader.read(q["question"], [p.chunk.text for p in passages])
        rows.append(
            {
                "ids": [p.chunk.id for p in passages],
                "fused": np.array([p.score for p in passages], dtype=np.float64),
                "margin": np.array([s.margin if s.text else -20.0 for s in spans], dtype=np.float64),
                "gold": set(q["gold_passage_ids"]),
            }
        )
    return rows


def metrics_at(rows: list[dict], weight: float) -> dict:
    """Mean retrieval metrics of the reranked lists (ranks beyond ``depth`` keep the hybrid order)."""
    from assistant.answering.reading import reader_scores
    from assistant.evaluation.metrics import mean_metrics, retrieval_metrics

    scored = []
    for row in rows:
        order = np.argsort(-reader_scores(row["fused"], row["margin"], weight), kind="stable")
        scored.append(retrieval_metrics([row["ids"][i] for i in order], row["gold"]))
    return {k: round(v, 4) for k, v in mean_metrics(scored).items()}


def main(argv: list[str] | None = None) -> int:
    from assistant.config import offline_environment
    from assistant.models.reader import get_reader
    from benchmarks.retrieval import load_queries, open_bench
    from benchmarks.retrieval import parse_args as retrieval_args

    args = parse_args(argv)
    offline_environment()
    tydi = args.data / "tydiqa-id"
    bench = retrieval_args(["--corpus", str(tydi / "corpus.jsonl"), "--queries", str(tydi / "queries_valid.jsonl")])
    bench.data_dir = args.data_dir
    retriever, _ = open_bench(bench)
    reader = get_reader()
    started = time.perf_counter()
    train = candidates(
        retriever, reader, load_queries(tydi / "queries_train.jsonl", None, args.train_sample, args.seed), args.depth
    )
    valid = candidates(retriever, reader, load_queries(tydi / "queries_valid.jsonl", None, None, 0), args.depth)
    seconds = time.perf_counter() - started
    on_train = {w: metrics_at(train, w) for w in WEIGHTS}
    chosen = max(WEIGHTS, key=lambda w: (on_train[w]["ndcg@10"], -w))
    report = {
        "train": {str(w): m for w, m in on_train.items()},
        "chosen_weight": chosen,
        "valid_hybrid": metrics_at(valid, 0.0),
        "valid_reranked": metrics_at(valid, chosen),
        "valid_by_weight": {str(w): metrics_at(valid, w) for w in WEIGHTS},
        "questions": {"train": len(train), "valid": len(valid)},
        "seconds_reading": round(seconds, 1),
    }
    print(f"train ({len(train)} q): " + ", ".join(f"w={w}: nDCG@10 {m['ndcg@10']:.4f}" for w, m in on_train.items()))
    for name in ("valid_hybrid", "valid_reranked"):
        m = report[name]
        print(f"{name} ({len(valid)} q, weight {0.0 if name == 'valid_hybrid' else chosen}): {json.dumps(m)}")
    print(f"reading {args.depth} passages per question: {seconds:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
