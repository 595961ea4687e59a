"""Relevance: a passage is relevant to a gold quote when its text contains the quote (after
Unicode NFKC, case-folding and whitespace collapsing) or when its ``[start, end)`` offsets overlap
a place where the quote occurs in the cleaned text of the same document. The cleaned texts are
rebuilt from the collection's own chunks (``text[start:end] == chunk.text``), so offsets always
agree with the index being evaluated."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from assistant.types import Chunk


def normalized_with_map(text: str) -> tuple[str, list[int]]:
    """NFKC, case-folded, whitespace-collapsed ``text`` and, per output char, its input offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                offsets.append(i)
            continue
        for c in unicodedata.normalize("NFKC", ch).casefold():
            chars.append(c)
            offsets.append(i)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


def normalize(text: str) -> str:
    """The comparison form of ``text`` (see :func:`normalized_with_map`)."""
    return normalized_with_map(text)[0]


def find_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Every ``(start, end)`` in ``text`` where ``quote`` occurs after normalisation."""
    haystack, offsets = normalized_with_map(text)
    needle = normalize(quote)
    spans, at = [], haystack.find(needle) if needle else -1
    while at >= 0:
        spans.append((offsets[at], offsets[at + len(needle) - 1] + 1))
        at = haystack.find(needle, at + 1)
    return spans


def rebuild_documents(chunks: Iterable[Chunk]) -> dict[str, str]:
    """The cleaned text of each source, rebuilt from its chunks (uncovered gaps become spaces)."""
    parts: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        parts.setdefault(chunk.source, []).append(chunk)
    documents = {}
    for source, pieces in parts.items():
        buffer = [" "] * max(c.end for c in pieces)
        for c in pieces:
            buffer[c.start : c.start + len(c.text)] = list(c.text)
        documents[source] = "".join(buffer)
    return documents


class RelevanceJudge:
    """Decides which passages are relevant to gold quotes, over one collection's chunks."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self.chunks = list(chunks)
        self.documents = rebuild_documents(self.chunks)
        self._normal = {c.id: normalize(c.text) for c in self.chunks}
        self._spans: dict[str, list[tuple[str, int, int]]] = {}
        self._ids: dict[str, set[str]] = {}

    def spans(self, quote: str) -> list[tuple[str, int, int]]:
        """Where ``quote`` occurs: ``(source, start, end)`` in the cleaned document texts."""
        if quote not in self._spans:
            self._spans[quote] = [
                (source, s, e) for source, text in self.documents.items() for s, e in find_spans(text, quote)
            ]
        return self._spans[quote]

    def relevant(self, source: str, start: int, end: int, text: str, quote: str, normal: str | None = None) -> bool:
        """True when the passage contains ``quote`` or overlaps one of its spans."""
        needle = normalize(quote)
        if needle and needle in (normal if normal is not None else normalize(text)):
            return True
        return any(src == source and s < end and start < e for src, s, e in self.spans(quote))

    def relevant_ids(self, quote: str) -> set[str]:
        """The ids of every chunk of the collection relevant to ``quote``."""
        if quote not in self._ids:
            self._ids[quote] = {
                c.id for c in self.chunks if self.relevant(c.source, c.start, c.end, c.text, quote, self._normal[c.id])
            }
        return self._ids[quote]

    def is_relevant(self, source: str, start: int, end: int, text: str, quotes: Sequence[str]) -> bool:
        """True when the passage is relevant to at least one of ``quotes``."""
        return any(self.relevant(source, start, end, text, q) for q in quotes)

    def missing(self, quotes: Iterable[str]) -> list[str]:
        """The quotes found nowhere in the collection (a set written for other texts)."""
        return [q for q in quotes if not self.spans(q)]
