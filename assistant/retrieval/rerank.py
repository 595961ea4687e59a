"""Optional cross-encoder rerank (sentence-transformers ``CrossEncoder``, loaded once)."""

from __future__ import annotations

import threading

from assistant.errors import StoreError
from assistant.types import Passage


def rerank(model, query: str, passages: list[Passage]) -> list[Passage]:
    """Reorder passages by a sentence-transformers ``CrossEncoder``'s scores."""
    if not passages:
        return passages
    scores = model.predict([(query, p.chunk.text) for p in passages], show_progress_bar=False)
    for passage, score in zip(passages, scores):
        passage.rerank_score = float(score)
    return sorted(passages, key=lambda p: -(p.rerank_score or 0.0))


_RERANKERS: dict[str, object] = {}
_RERANK_LOCK = threading.Lock()


def load_reranker(model: str):
    """A CrossEncoder loaded once per process (offline: the model must be on disk)."""
    with _RERANK_LOCK:
        if model not in _RERANKERS:
            from sentence_transformers import CrossEncoder

            try:
                _RERANKERS[model] = CrossEncoder(model, device="cpu")
            except Exception as exc:
                raise StoreError(f"cannot load rerank model {model!r}: {exc}") from exc
        return _RERANKERS[model]
