"""Grid search of the hybrid fusion settings (dense weight x candidates) on a tuning split.

Runs the project's :class:`~assistant.retrieve.Retriever` in hybrid mode for every pair of
values over the same queries (each query is embedded once, in batches), and prints nDCG@10 and the other
metrics per setting, best first. Tune on a train sample, then report the held-out split once
with ``benchmarks/retrieval.py --dense-weight W --candidates N``::

    python -m benchmarks.tune_fusion --corpus corpus.jsonl --queries queries_train.jsonl --sample 800

With ``--json`` the last stdout line is ``{"best": {...}, "grid": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.config import load_settings, offline_environment
from assistant.retrieval.retriever import CollectionIndex, Retriever
from benchmarks.retrieval import METRICS, QueryVectors, evaluate, index_corpus, load_queries


def floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",")]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True, help="the tuning split, never the reported one")
    parser.add_argument("--weights", type=floats, default=floats("0.6,0.7,0.8,0.85,0.9,0.95,1.0"))
    parser.add_argument("--candidates", type=ints, default=ints("20,50,100"))
    parser.add_argument("--sample", type=int, default=800, help="random sample of N queries (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=Path(".assistant/bench"))
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    offline_environment()
    settings = load_settings(data_dir=args.data_dir)
    index = CollectionIndex(settings, index_corpus(settings, args.corpus)[0])
    index.embedder = QueryVectors(index.embedder)
    queries = load_queries(args.queries, None, args.sample or None, args.seed)
    index.embedder.prefill([q["question"] for q in queries])
    grid = []
    for candidates in args.candidates:
        for weight in args.weights:
            result = evaluate(Retriever(index, candidates, weight), queries, "hybrid")
            result = {"dense_weight": weight, "candidates": candidates, **{m: result[m] for m in ("n", *METRICS)}}
            print(json.dumps(result), file=sys.stderr, flush=True)
            grid.append(result)
    grid.sort(key=lambda r: (-r["ndcg@10"], -r["recall@10"]))
    print(f"{'weight':>6} {'cands':>5} " + " ".join(f"{m:>9}" for m in METRICS))
    for r in grid:
        print(f"{r['dense_weight']:>6.2f} {r['candidates']:>5} " + " ".join(f"{r[m]:>9.3f}" for m in METRICS))
    if args.json:
        print(json.dumps({"best": grid[0], "grid": grid}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
