"""Chroma write throughput by upsert batch size, embedded (PersistentClient) and optionally a `chroma run` server.

Writes ``--n`` chunk records (384-d unit vectors, ~600-character documents, the metadata the indexer stores)
into a fresh collection per batch size with the project's own :func:`assistant.index.chroma.chroma_add`, and
reports rows/s; the largest batch is capped at the client's ``get_max_batch_size()``. Everything is written under a
temporary folder that is removed at the end. The 1-minute load average is printed beside each figure.

    python -m benchmarks.chroma_batches [--n 20000] [--batches 128,512,2048,5000] [--server]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def records(n: int, seed: int = 3):
    from assistant.types import Chunk

    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words = ["diplomasi", "siber", "negara", "norma", "kerja", "sama", "keamanan", "internet", "hukum", "regional"]
    chunks = []
    for i in range(n):
        text = " ".join(words[(i * 7 + j) % len(words)] for j in range(80)) + f" {i}"
        chunks.append(
            Chunk(
                f"c{i:08d}",
                f"doc-{i // 100}.txt",
                text,
                0,
                len(text),
                {"title": f"Doc {i // 100}", "language": "id", "paragraph": i % 100, "page": 0},
            )
        )
    return chunks, vectors


def measure(client, chunks, vectors, batches: list[int], label: str) -> list[dict]:
    from assistant.index.chroma import chroma_add, chroma_collection

    cap = client.get_max_batch_size()
    rows = []
    for batch in batches:
        batch = min(batch, cap)
        collection = chroma_collection(client, f"batch-{label}-{batch}")
        started = time.perf_counter()
        chroma_add(collection, chunks, vectors, batch=batch)
        seconds = time.perf_counter() - started
        rows.append(
            {
                "store": label,
                "batch": batch,
                "rows": len(chunks),
                "seconds": round(seconds, 2),
                "rows_per_s": round(len(chunks) / seconds),
                "load_avg": os.getloadavg()[0],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        client.delete_collection(collection.name)
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--batches", default="128,512,2048,5000")
    ap.add_argument("--server", action="store_true", help="also a `chroma run` server on 127.0.0.1")
    args = ap.parse_args(argv)
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.config import offline_environment

    offline_environment()
    chunks, vectors = records(args.n)
    batches = [int(b) for b in args.batches.split(",")]
    work = Path(tempfile.mkdtemp(prefix="chroma-batches-"))
    try:
        client = chromadb.PersistentClient(
            path=str(work / "embedded"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        measure(client, chunks, vectors, batches, "embedded")
        if args.server:
            from benchmarks.scale import start_server

            proc, port = start_server(work / "server")
            try:
                measure(chromadb.HttpClient(host="127.0.0.1", port=port), chunks, vectors, batches, "server")
            finally:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
