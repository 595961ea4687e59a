"""BM25 over stemmed, stop-word-filtered tokens (Indonesian and English), with ``bm25s``."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Indonesian (Sastrawi's list) and English (bm25s' list) stop words."""
    from bm25s.stopwords import STOPWORDS_EN
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return frozenset(StopWordRemoverFactory().get_stop_words()) | frozenset(STOPWORDS_EN)


_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """Indonesian stem of one lowercase word (memoised; Sastrawi is slow per call)."""
    if not word.isalpha() or len(word) <= 3:
        return word
    found = _STEMS.get(word)
    if found is None:
        found = _STEMS[word] = _stemmer().stem(word) or word
    return found


def load_stem_cache(path: Path) -> None:
    """Merge stems saved by :func:`save_stem_cache` (a damaged file is ignored)."""
    try:
        _STEMS.update(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass


def save_stem_cache(path: Path) -> None:
    """Persist the stems computed so far, so the next process does not stem them again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_STEMS, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def tokenize(text: str) -> list[str]:
    """NFKC-normalise, lowercase, split into words, drop stop words, stem."""
    text = unicodedata.normalize("NFKC", text).lower()
    stops = stop_words()
    tokens = []
    for word in _WORD.findall(text):
        for part in word.split("-") if "-" in word else (word,):
            if part and part not in stops:
                tokens.append(stem(part))
    return tokens


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
        import bm25s

        ids = json.loads((folder / "ids.json").read_text())
        model = bm25s.BM25.load(str(folder / "bm25")) if ids else bm25s.BM25()
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
        order = np.argsort(-scores)[:k]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
