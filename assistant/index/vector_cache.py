"""A persistent cache of passage vectors (SQLite, by embedder id and text hash), and batched
passage embedding through it.

The cache is SQLite in WAL mode: a process killed while writing loses at most its uncommitted
batch, and several processes (a sync, the web app, an evaluation) read and write it at once. It
is only a cache: a damaged file (truncated, overwritten) is moved aside as
``vectors.sqlite.damaged-<time>`` with a warning in the log and a new, empty cache takes its
place, so answers go on and the vectors are embedded again as they are needed.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from assistant.index.embeddings import Embedder, Progress
from assistant.index.faults import failpoint

log = logging.getLogger(__name__)
_T = TypeVar("_T")
_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


class VectorCache:
    """Passage vectors stored by (embedder id, SHA-256 of the text) in SQLite."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in _DAMAGED:
                raise
            self._set_aside(exc)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (embedder TEXT, hash TEXT, vec BLOB, PRIMARY KEY (embedder, hash))"
            )
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, exc: BaseException) -> None:
        """Move a damaged cache file (and its WAL) aside; the next connection starts empty."""
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        log.warning("vector cache %s is damaged (%s): moved to %s, starting an empty cache", self.path, exc, aside)
        for suffix in ("-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        if self.path.exists():
            self.path.replace(aside)

    def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``work(db)`` under the lock; a damaged file is set aside and the work done on a new one."""
        with self._lock:
            try:
                return work(self._db)
            except sqlite3.DatabaseError as exc:
                if getattr(exc, "sqlite_errorcode", None) not in _DAMAGED:
                    raise
                self._db.close()
                self._set_aside(exc)
                self._db = self._connect()
                return work(self._db)

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, embedder: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        keys = list({self.key(t) for t in texts})

        def read(db: sqlite3.Connection) -> dict[str, np.ndarray]:
            found: dict[str, np.ndarray] = {}
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                rows = db.execute(
                    f"SELECT hash, vec FROM vectors WHERE embedder=? AND hash IN ({','.join('?' * len(part))})",
                    [embedder, *part],
                ).fetchall()
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
            return found

        return self._run(read)

    def missing(self, embedder: str, texts: Sequence[str]) -> list[str]:
        """The distinct ``texts`` without a cached vector, in first-seen order (no vector is read)."""
        by_key = {self.key(t): t for t in texts}
        keys = list(by_key)

        def read(db: sqlite3.Connection) -> set[str]:
            present: set[str] = set()
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                rows = db.execute(
                    f"SELECT hash FROM vectors WHERE embedder=? AND hash IN ({','.join('?' * len(part))})",
                    [embedder, *part],
                ).fetchall()
                present.update(h for (h,) in rows)
            return present

        present = self._run(read)
        return [t for k, t in by_key.items() if k not in present]

    def put_many(self, embedder: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(embedder, self.key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(texts, vectors)]

        def write(db: sqlite3.Connection) -> None:
            with db:
                db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

        self._run(write)

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
        if i + batch_size < len(stream):
            failpoint("sync:embedding")  # a batch is in the cache and more are to come
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for row, key in enumerate(keys):
        out[row] = cached[key]
    return out, len(missing)
