"""BM25 over stemmed, stop-word-filtered tokens (Indonesian and English), with ``bm25s``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.errors import StoreError
from assistant.text.tokens import content_tokens, tokenize

TERM_COUNTS = "terms.json"  # beside the BM25 files: document frequencies of content tokens


class LexicalIndex:
    """A BM25 index whose rows are chunk ids (row order is ``ids``)."""

    def __init__(self, ids: list[str], model) -> None:
        self.ids = ids
        self._model = model
        self._row = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, ids: list[str], texts: list[str], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        import bm25s

        model = bm25s.BM25(k1=k1, b=b)
        if ids:
            model.index([tokenize(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(list(ids), model)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self._model.save(str(folder / "bm25"))
        (folder / "ids.json").write_text(json.dumps(self.ids))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Read a saved index; :class:`~assistant.errors.StoreError` (saying to rebuild) when its
        files are missing or damaged."""
        import bm25s

        try:
            ids = json.loads((folder / "ids.json").read_text())
            model = bm25s.BM25.load(str(folder / "bm25")) if ids else bm25s.BM25()
        except (OSError, ValueError, EOFError, KeyError) as exc:
            raise StoreError(
                f"the BM25 index {folder} is damaged ({exc}): run `assistant index --rebuild` for its collection"
            ) from exc
        return cls(ids, model)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (zeros when no query word is indexed)."""
        if not self.ids:
            return np.zeros(0, dtype=np.float32)
        vocab = self._model.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._model.get_scores(tokens), dtype=np.float32)

    def score_of(self, scores: np.ndarray, chunk_id: str) -> float:
        row = self._row.get(chunk_id)
        return float(scores[row]) if row is not None else 0.0

    def top(self, query: str, k: int, scores: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (chunk id, score) pairs with a positive score.

        ``scores`` may pass ``self.scores(query)`` when the caller already has it.
        """
        scores = self.scores(query) if scores is None else scores
        if not len(scores):
            return []
        candidates = np.arange(len(scores))
        if k < len(scores):  # partial selection, no full sort of a large collection per query
            kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
            candidates = np.flatnonzero(scores >= kth)  # ties at the k-th score kept in row order
        order = candidates[np.argsort(-scores[candidates], kind="stable")][:k]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]


def save_term_counts(folder: Path, texts: list[str]) -> None:
    """Write how many of ``texts`` hold each content token (:func:`content_tokens`), computed once
    per snapshot at index time so answering never walks the collection."""
    df: dict[str, int] = {}
    for text in texts:
        for token in content_tokens(text):
            df[token] = df.get(token, 0) + 1
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TERM_COUNTS).write_text(json.dumps({"n": len(texts), "df": df}, ensure_ascii=False), encoding="utf-8")


def load_term_counts(folder: Path) -> tuple[int, dict[str, int]] | None:
    """(number of texts, document frequency per content token) saved by :func:`save_term_counts`;
    None for a snapshot written before they were saved."""
    path = folder / TERM_COUNTS
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return int(data["n"]), data["df"]
