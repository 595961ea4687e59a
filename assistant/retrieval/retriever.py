"""Hybrid retrieval: dense (Chroma) and BM25 candidates fused by a per-query z-score blend.

For each query the candidates are the union of the dense top-N and the BM25 top-N (N =
``candidates``); both score lists are z-normalised over that union and blended as
``w * z(dense) + (1 - w) * z(bm25)`` with ``w = dense_weight``.

Chosen by measurement on TyDi QA, Indonesian (docs/benchmarks.md), tuned on 800 train
questions and reported once on valid. On train, reciprocal-rank fusion lost to dense alone
(nDCG@10 0.805 vs 0.852); the z-score blend beat both, best at w = 0.8 (0.863), with
N = 20/50/100 within 0.001; z-scoring per list, over the whole corpus, or min-max scaling
were no better. On valid, w = 0.8, N = 50 gives nDCG@10 0.911 and Recall@10 0.970 against
0.891 / 0.943 for dense alone and 0.815 / 0.910 for BM25 alone.

Cross-lingual expansion (``crosslingual``, on by default): when the collection holds chunks in
the language other than the question's (chunk metadata ``language``), the glossary terms of the
question (:mod:`assistant.retrieval.crosslingual`) are added to the BM25 query, and a rough
word-for-word rendering of the question in the other language is embedded as a second query
vector. A chunk in the other language gets the better of its two cosines; chunks in the
question's language keep the question's own. Chosen on the readings' key passages and the
calibration questions over the alternatives (max over all chunks, averaged vectors, glossary
terms alone as the second query); figures in docs/benchmarks.md. Collections in one language
(e.g. TyDi) take the plain path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from assistant.config import Settings
from assistant.errors import StoreError
from assistant.index.chroma import chroma_client, chroma_collection
from assistant.index.embeddings import Embedder, embed_query, load_embedder
from assistant.index.lexical import LexicalIndex
from assistant.index.snapshots import CollectionPaths, Snapshot
from assistant.index.vector_cache import VectorCache
from assistant.retrieval.crosslingual import Expansion, render_query, translate_query
from assistant.retrieval.fusion import diversify, zscores
from assistant.retrieval.rerank import load_reranker, rerank
from assistant.text.glossary import COLLECTION_GLOSSARY, Glossary, glossary, other_language, with_extra_terms
from assistant.text.language import detect_language
from assistant.text.query import refers_to_source
from assistant.types import Chunk, Passage

log = logging.getLogger(__name__)


class CollectionIndex:
    """A loaded snapshot: chunks, BM25 index, the Chroma collection and the query embedder."""

    def __init__(self, settings: Settings, name: str, fresh: bool = False) -> None:
        """``fresh``: read the vector store as it is on disk now (:func:`chroma_client`), for a
        snapshot that may have been published by another process since this one opened the store."""
        self.settings = settings
        self.paths = CollectionPaths(settings, name)
        snapshot = self.paths.current_snapshot()
        if snapshot is None:
            raise StoreError(f"collection {name!r} is not indexed yet: run `assistant index --collection {name}`")
        self.name = name
        self.snapshot: Snapshot = snapshot
        self.chunks: dict[str, Chunk] = {c.id: c for c in snapshot.chunks}
        # Languages of the chunks (front matter or detected at ingest); empty when none says.
        self.languages: frozenset[str] = frozenset(
            str(c.metadata["language"]) for c in snapshot.chunks if c.metadata.get("language")
        )
        # Whether a document of kind "source" (the text being studied) is in the collection.
        self.has_source = any(c.metadata.get("kind") == "source" for c in snapshot.chunks)
        # The packaged glossary, plus the reading folder's glossary.tsv when it had one.
        extra = snapshot.folder / COLLECTION_GLOSSARY
        self.glossary: Glossary = with_extra_terms(extra.read_text(encoding="utf-8")) if extra.is_file() else glossary()
        self.lexical = LexicalIndex.load(snapshot.folder / "lexical")
        self.embedder: Embedder = load_embedder(snapshot.embedder)
        self.collection = chroma_collection(chroma_client(settings, fresh), snapshot.manifest["chroma_collection"])
        # the cached vectors (ids, matrix, row of each id), once Chroma failed a read
        self._exact: tuple[list[str], np.ndarray, dict[str, int]] | None = None

    @property
    def manifest(self) -> dict:
        return self.snapshot.manifest

    def is_stale(self) -> bool:
        """True when a newer snapshot has been published since this one was loaded."""
        current = self.paths.current.read_text().strip() if self.paths.current.exists() else ""
        return current != self.snapshot.folder.name

    def dense(self, vector: np.ndarray, k: int) -> dict[str, float]:
        """Cosine similarity of the ``k`` nearest chunks of this snapshot."""
        if not self.chunks:
            return {}
        if self._exact is not None:
            return self._exact_scores(vector, k=k)
        try:
            with self._store_errors():
                # Chroma may hold vectors of a sync in progress (or killed): ask for enough to skip them.
                stored = self.collection.count()
                n = min(stored, k + max(10, stored - len(self.chunks)))
                if n <= 0:  # the store holds none of its vectors (e.g. a new, empty Chroma server): BM25 answers
                    return {}
                result = self.collection.query(query_embeddings=[vector.tolist()], n_results=n, include=["distances"])
        except StoreError as exc:
            self._use_cached_vectors(exc)
            return self._exact_scores(vector, k=k)
        pairs = zip(result["ids"][0], result["distances"][0])
        hits = {cid: 1.0 - float(d) for cid, d in pairs if cid in self.chunks}
        return dict(list(hits.items())[:k])

    def dense_scores_for(self, vector: np.ndarray, ids: list[str]) -> dict[str, float]:
        """Exact cosine similarity for chunks the nearest-neighbour search did not return."""
        if not ids:
            return {}
        if self._exact is not None:
            return self._exact_scores(vector, ids=ids)
        try:
            with self._store_errors():
                got = self.collection.get(ids=ids, include=["embeddings"])
        except StoreError as exc:
            self._use_cached_vectors(exc)
            return self._exact_scores(vector, ids=ids)
        return {
            cid: float(np.dot(np.asarray(e, dtype=np.float32), vector)) for cid, e in zip(got["ids"], got["embeddings"])
        }

    def _use_cached_vectors(self, error: StoreError) -> None:
        """Chroma on disk failed a read: from now on this snapshot's dense scores are computed exactly
        from the vector cache, which holds the very vectors the sync stored. Embedded Chroma fails so
        in a server whose index another process changed: its in-memory index still returns the ids
        of vectors the other process deleted ("Error finding id"). Re-raises ``error`` for a Chroma
        server, or when the cache lacks a vector of the snapshot."""
        if self.settings.chroma_host:
            raise error
        ids = list(self.chunks)
        cache = VectorCache(self.settings.vector_cache_dir / "vectors.sqlite")
        try:
            found = cache.get_many(self.embedder.id, [self.chunks[cid].text for cid in ids])
        finally:
            cache.close()
        keys = [VectorCache.key(self.chunks[cid].text) for cid in ids]
        if any(key not in found for key in keys):
            raise error
        log.warning("%s; answering from the vector cache until the next snapshot", error)
        matrix = np.stack([found[key] for key in keys]).astype(np.float32)
        self._exact = (ids, matrix, {cid: i for i, cid in enumerate(ids)})

    def _exact_scores(self, vector: np.ndarray, k: int | None = None, ids: list[str] | None = None) -> dict[str, float]:
        """Cosine similarity from the cached vectors: the ``k`` best chunks, or the chunks ``ids``."""
        assert self._exact is not None
        order, matrix, row = self._exact
        scores = matrix @ vector.astype(np.float32)
        if ids is not None:
            return {cid: float(scores[row[cid]]) for cid in ids if cid in row}
        best = np.argsort(-scores, kind="stable")[: k or len(order)]
        return {order[i]: float(scores[i]) for i in best}

    @contextmanager
    def _store_errors(self) -> Iterator[None]:
        """A vector store that fails a read (e.g. Chroma's "Error finding id" after a sync was killed
        right after writing) is a clear error that says how to repair it, not a raw Chroma error."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises several classes (InternalError, NotFoundError, ...)
            if self.settings.chroma_host:
                where = f"{self.settings.chroma_host}:{self.settings.chroma_port}"
                raise StoreError(
                    f"the Chroma server at {where} failed a request for collection {self.name!r} "
                    f"({type(exc).__name__}: {str(exc)[:200]}): check that it is running and answering "
                    "(`chroma run`), or unset ASSISTANT_CHROMA_HOST"
                ) from exc
            raise StoreError(
                f"the vector store of collection {self.name!r} could not return its vectors "
                f"({type(exc).__name__}: {str(exc)[:200]}): run `assistant index --collection {self.name}` "
                "to store them again from the cache"
            ) from exc

    def language_of(self, chunk_id: str) -> str | None:
        return self.chunks[chunk_id].metadata.get("language")


@dataclass
class Retriever:
    """Search one collection: dense, BM25 or hybrid, with an optional cross-encoder rerank."""

    index: CollectionIndex
    candidates: int = 50
    dense_weight: float = 0.8
    reranker: object | None = None
    source_boost: float = 0.0
    crosslingual: bool = True
    source_cap: int = 0  # at most this many passages of one reading in the first ranks (0: no cap)
    diversity_window: int = 5

    def expansion(self, query: str) -> Expansion | None:
        """The cross-lingual expansion of ``query``, or None (setting off, collection in the
        question's language only or without language metadata, or no glossary term found)."""
        if not self.crosslingual or not self.index.languages:
            return None
        language = detect_language(query)
        target = other_language(language)
        if target not in self.index.languages:
            return None
        terms = translate_query(query, language, self.index.glossary)
        if not terms:
            return None
        return Expansion(language, target, terms, render_query(query, language, self.index.glossary))

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Passage]:
        """The ``k`` best passages for ``query``; each carries its dense and BM25 scores."""
        query = query.strip()
        if not query:
            return []
        expansion = self.expansion(query)
        lexical_query = f"{query} {expansion.terms}" if expansion else query
        vector = embed_query(self.index.embedder, query)
        bm25_all = self.index.lexical.scores(lexical_query)
        dense = self.index.dense(vector, self.candidates) if mode != "bm25" else {}
        rendered: dict[str, float] = {}
        if expansion and mode != "bm25":
            rendered_vector = embed_query(self.index.embedder, expansion.rendering)
            rendered = self.index.dense(rendered_vector, self.candidates)
        lexical = dict(self.index.lexical.top(lexical_query, self.candidates, bm25_all)) if mode != "dense" else {}
        ids = list(dict.fromkeys([*dense, *rendered, *lexical]))
        if not ids:
            return []
        dense.update(self.index.dense_scores_for(vector, [i for i in ids if i not in dense]))
        if rendered and expansion:
            # A chunk in the other language scores the better of the question and its rendering.
            other = [i for i in ids if self.index.language_of(i) == expansion.target]
            rendered.update(self.index.dense_scores_for(rendered_vector, [i for i in other if i not in rendered]))
            for i in other:
                dense[i] = max(dense.get(i, 0.0), rendered[i])
        d = np.array([dense.get(i, 0.0) for i in ids], dtype=np.float32)
        b = np.array([self.index.lexical.score_of(bm25_all, i) for i in ids], dtype=np.float32)
        chosen = {"dense": d, "bm25": b}.get(mode)
        if chosen is not None:
            fused: np.ndarray = chosen
        else:
            fused = self.dense_weight * zscores(d) + (1 - self.dense_weight) * zscores(b)
            if self.source_boost and refers_to_source(query):
                fused = fused + self.source_boost * np.array(
                    [self.index.chunks[i].metadata.get("kind") == "source" for i in ids], dtype=np.float32
                )
        order = np.argsort(-fused, kind="stable")
        passages = [
            Passage(self.index.chunks[ids[i]], float(fused[i]), float(d[i]), float(b[i]))
            for i in order[: max(k, self.candidates if self.reranker or self.source_cap else k)]
        ]
        if self.reranker is not None:
            passages = rerank(self.reranker, query, passages)
        if self.source_cap:
            passages = diversify(passages, self.source_cap, self.diversity_window)
        for rank, passage in enumerate(passages[:k], 1):
            passage.rank = rank
        return passages[:k]


def open_retriever(settings: Settings, collection: str | None = None, fresh: bool = False) -> Retriever:
    """A retriever over a collection, configured from settings (``fresh``: see :class:`CollectionIndex`)."""
    index = CollectionIndex(settings, collection or settings.collection, fresh)
    reranker = load_reranker(settings.rerank_model) if settings.rerank_model else None
    return Retriever(
        index,
        settings.candidates,
        settings.dense_weight,
        reranker,
        settings.source_boost,
        settings.crosslingual,
        settings.source_cap,
        settings.top_k,
    )
