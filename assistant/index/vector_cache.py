"""A persistent cache of passage vectors (SQLite, by embedder id and text hash), and batched
passage embedding through it."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.index.embeddings import Embedder, Progress


class VectorCache:
    """Passage vectors stored by (embedder id, SHA-256 of the text) in SQLite."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (embedder TEXT, hash TEXT, vec BLOB, PRIMARY KEY (embedder, hash))"
        )
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, embedder: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        keys = list({self.key(t) for t in texts})
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                rows = self._db.execute(
                    f"SELECT hash, vec FROM vectors WHERE embedder=? AND hash IN ({','.join('?' * len(part))})",
                    [embedder, *part],
                ).fetchall()
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def missing(self, embedder: str, texts: Sequence[str]) -> list[str]:
        """The distinct ``texts`` without a cached vector, in first-seen order (no vector is read)."""
        by_key = {self.key(t): t for t in texts}
        keys = list(by_key)
        present: set[str] = set()
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                rows = self._db.execute(
                    f"SELECT hash FROM vectors WHERE embedder=? AND hash IN ({','.join('?' * len(part))})",
                    [embedder, *part],
                ).fetchall()
                present.update(h for (h,) in rows)
        return [t for k, t in by_key.items() if k not in present]

    def put_many(self, embedder: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(embedder, self.key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors)]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()


def embed_passages_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache: VectorCache | None,
    batch_size: int = 16,
    progress: Progress | None = None,
    extra: Sequence[str] = (),
) -> tuple[np.ndarray, int]:
    """Embed passages in batches, reusing cached vectors.

    ``extra`` texts (e.g. the passages' sentences, as :meth:`VectorCache.missing` lists them) are
    embedded into the cache in the same batches, after the passages; their vectors are neither
    returned nor held in memory.

    Returns
    -------
    (vectors, embedded)
        The vectors of ``texts`` in input order and how many of ``texts`` were actually
        embedded (cache misses).
    """
    cached = cache.get_many(embedder.id, texts) if cache else {}
    keys = [VectorCache.key(t) for t in texts]
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in cached))
    wanted = set(missing)
    extra = [t for t in dict.fromkeys(extra) if t not in wanted] if cache else []
    if progress and len(texts) > len(missing):
        progress(len(texts) - len(missing))
    stream = missing + extra
    for i in range(0, len(stream), batch_size):
        batch = stream[i : i + batch_size]
        vectors = embedder.embed_passages(batch)
        if cache:
            cache.put_many(embedder.id, batch, vectors)
        cached.update((VectorCache.key(t), v) for t, v in zip(batch, vectors) if t in wanted)
        if progress:
            progress(len(batch))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for row, key in enumerate(keys):
        out[row] = cached[key]
    return out, len(missing)
