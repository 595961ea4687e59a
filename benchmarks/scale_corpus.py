"""Synthetic large collections for ``benchmarks.scale``, built from real TyDi-id passages and their real vectors.

- Readings: ``.txt`` files of 100 passages each (blank lines between), so the project's own loader and chunker
  make the chunks, exactly as ``assistant index`` does. The first passages are TyDi-id's 4,650; past them come
  *text variants*: a TyDi passage with about 30% of its words replaced by words drawn from the corpus vocabulary
  (seeded) and a variant number, so BM25 sees a realistic vocabulary and document frequencies but no duplicate.
- Vectors: every text the sync would embed (chunks and their answerer sentences) is put into the collection's
  vector cache beforehand, so the sync embeds nothing and the figures are those of the rest of the pipeline. A
  real passage's vector is its real e5-small-q4 vector (read from a vector cache that holds them, e.g. the one
  ``python -m benchmarks.retrieval`` filled); a variant's is that vector plus Gaussian noise (cosine ~0.9 to its
  source), a chunk's the normalised mean of its passages', and a sentence's its passage's vector plus noise
  unless the source cache holds the sentence's real vector.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from benchmarks import common

PER_FILE = 100
NOISE = 0.025  # per dimension: |noise|^2 ~ 384 * 0.025^2 = 0.24, cosine ~0.9 to the source vector
EMBEDDER = "e5-small-q4"


def tydi_passages(data: Path) -> list[str]:
    """Every TyDi-id passage of the shared data folder ``data``."""
    return common.tydi_passages(data / "tydiqa-id" / "corpus.jsonl")


def real_vectors(source_cache: Path, texts: list[str]) -> dict[str, np.ndarray]:
    """Vectors of ``texts`` found in another vector cache (by text hash)."""
    from assistant.index.vector_cache import VectorCache

    if not source_cache.exists():
        raise SystemExit(f"{source_cache} not found: run `python -m benchmarks.retrieval` first (it embeds TyDi-id)")
    cache = VectorCache(source_cache)
    try:
        return cache.get_many(EMBEDDER, texts)
    finally:
        cache.close()


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


class Corpus:
    """Passages (real, then variants) with a vector each."""

    def __init__(self, passages: list[str], vectors: dict[str, np.ndarray], seed: int = 13) -> None:
        from assistant.index.vector_cache import VectorCache

        self.rng = random.Random(seed)
        self.nrng = np.random.default_rng(seed)
        self.real = [p for p in passages if VectorCache.key(p) in vectors]
        self.real_vec = np.stack([vectors[VectorCache.key(p)] for p in self.real])
        self.vocab = sorted({w for p in self.real[:2000] for w in p.split() if w.isalpha() and len(w) > 3})
        self.texts: list[str] = []
        self.vecs: list[np.ndarray] = []

    def passage(self, i: int) -> tuple[str, np.ndarray]:
        base = i % len(self.real)
        if i < len(self.real):
            return self.real[i], self.real_vec[i]
        words = self.real[base].split()
        for j in range(len(words)):
            if self.rng.random() < 0.3:
                words[j] = self.rng.choice(self.vocab)
        text = f"({i // len(self.real)}) " + " ".join(words)
        return text, _unit(self.real_vec[base] + self.nrng.normal(0, NOISE, 384))


def write_readings(corpus: Corpus, folder: Path, chunks_wanted: int, size: int, overlap: int) -> dict:
    """Files of PER_FILE passages until the chunker makes ``chunks_wanted`` chunks; returns
    {chunk text: vector} for every chunk and the number of passages and files."""
    from assistant.index.chunking import chunk_document
    from assistant.ingest.loaders import load_document

    folder.mkdir(parents=True, exist_ok=True)
    chunk_vecs: dict[str, np.ndarray] = {}
    n_chunks, i, files = 0, 0, 0
    while n_chunks < chunks_wanted:
        items = [corpus.passage(i + j) for j in range(PER_FILE)]
        i += PER_FILE
        path = folder / f"part-{files:05d}.txt"
        path.write_text("\n\n".join(t for t, _ in items) + "\n", encoding="utf-8")
        files += 1
        by_start = {t[:60]: v for t, v in items}
        for chunk in chunk_document(load_document(path, path.name), size, overlap):
            parts = [by_start.get(p.strip()[:60]) for p in chunk.text.split("\n\n")]
            parts = [v for v in parts if v is not None] or [items[0][1]]
            chunk_vecs[chunk.text] = _unit(np.mean(parts, axis=0))
            n_chunks += 1
    return {"chunk_vectors": chunk_vecs, "passages": i, "files": files, "chunks": n_chunks}


def prefill_cache(cache_path: Path, chunk_vecs: dict[str, np.ndarray], source_cache: Path, seed: int = 7) -> dict:
    """Put every chunk's and every answerer sentence's vector into the collection's vector cache."""
    from assistant.index.vector_cache import VectorCache
    from assistant.text.sentences import sentence_texts

    rng = np.random.default_rng(seed)
    cache = VectorCache(cache_path)
    source = VectorCache(source_cache)
    texts = list(chunk_vecs)
    real_sentences = 0
    try:
        for k in range(0, len(texts), 2000):
            part = texts[k : k + 2000]
            cache.put_many(EMBEDDER, part, np.stack([chunk_vecs[t] for t in part]))
            sentences, vecs = [], []
            for t in part:
                own = sentence_texts(t)
                found = source.get_many(EMBEDDER, own)
                for s in own:
                    v = found.get(VectorCache.key(s))
                    real_sentences += v is not None
                    sentences.append(s)
                    vecs.append(v if v is not None else _unit(chunk_vecs[t] + rng.normal(0, NOISE * 1.5, 384)))
            cache.put_many(EMBEDDER, sentences, np.stack(vecs))
    finally:
        cache.close()
        source.close()
    return {"real_sentence_vectors": real_sentences}
