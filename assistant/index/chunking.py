"""Paragraph- and sentence-aware chunking with exact offsets into the cleaned text."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from assistant.text.sentences import paragraph_spans, sentence_spans
from assistant.types import Chunk, Document

CHUNKER_VERSION = 1  # bump when the algorithm changes, so indexes re-chunk


@dataclass(frozen=True)
class Span:
    """A sentence (or piece of one) as offsets into the document text."""

    start: int
    end: int
    paragraph: int


def _split_long(start: int, end: int, text: str, size: int, paragraph: int) -> list[Span]:
    """Cut a sentence longer than ``size`` at word boundaries."""
    pieces = []
    while end - start > size:
        cut = text.rfind(" ", start, start + size)
        cut = cut if cut > start else start + size
        pieces.append(Span(start, cut, paragraph))
        start = cut + 1 if text[cut : cut + 1] == " " else cut
    pieces.append(Span(start, end, paragraph))
    return pieces


def document_spans(document: Document, size: int) -> list[Span]:
    """All sentence spans of a document, tagged with their paragraph number (1-based)."""
    spans = []
    for number, (p_start, p_end) in enumerate(paragraph_spans(document.text), 1):
        for s_start, s_end in sentence_spans(document.text[p_start:p_end], p_start):
            spans.extend(_split_long(s_start, s_end, document.text, size, number))
    return spans


def _windows(spans: list[Span], size: int, overlap: int, headings: set[int]) -> list[list[Span]]:
    """Greedy sentence packing: cut at paragraph ends once half full, never above ``size``.

    A paragraph that would not fit in the current window starts a new one, so paragraphs
    that fit in ``size`` are never split.
    A cut inside a paragraph carries the last sentences (up to ``overlap`` characters) into
    the next window; a heading opens a new window (consecutive headings stay together).
    """
    windows: list[list[Span]] = []
    current: list[Span] = []
    para_end = {s.paragraph: s.end for s in spans}
    for i, span in enumerate(spans):
        opens_paragraph = i == 0 or spans[i - 1].paragraph != span.paragraph
        too_long = opens_paragraph and current and para_end[span.paragraph] - current[0].start > size
        only_headings = all(s.start in headings for s in current)
        if current and ((span.start in headings and not only_headings) or too_long):
            windows.append(current)
            current = []
        if current and span.end - current[0].start > size:
            windows.append(current)
            tail: list[Span] = []
            for prev in reversed(current):
                if prev.paragraph != span.paragraph or span.end - prev.start > size:
                    break
                if sum(s.end - s.start for s in tail) + prev.end - prev.start > overlap:
                    break
                tail.insert(0, prev)
            current = tail
        current.append(span)
        para_ends = i + 1 == len(spans) or spans[i + 1].paragraph != span.paragraph
        if para_ends and current[-1].end - current[0].start >= size // 2:
            windows.append(current)
            current = []
    if current:
        windows.append(current)
    return windows


def chunk_id(source: str, start: int, end: int, text: str) -> str:
    """Stable id: a hash of source path, offsets and text."""
    digest = hashlib.sha1(f"{source}\x00{start}\x00{end}\x00{text}".encode()).hexdigest()
    return digest[:20]


def chunk_document(document: Document, size: int = 900, overlap: int = 150) -> list[Chunk]:
    """Split a document into overlapping, paragraph-aware windows.

    Parameters
    ----------
    document : Document
        A cleaned document.
    size : int
        Maximum window length in characters (a single word longer than this is cut).
    overlap : int
        Characters of whole sentences repeated when a window ends inside a paragraph.

    Returns
    -------
    list of Chunk
        ``chunk.text == document.text[chunk.start:chunk.end]`` for every chunk.
    """
    headings = {m.offset for m in document.sections}
    base = {k: v for k, v in document.metadata.items() if isinstance(v, (str, int, float, bool))}
    chunks = []
    for window in _windows(document_spans(document, size), size, overlap, headings):
        start, end = window[0].start, window[-1].end
        text = document.text[start:end]
        meta = dict(base)
        meta.update(
            title=document.title,
            paragraph=window[0].paragraph,
            section=document.label_at(start, document.sections) or "",
            page=int(document.label_at(start, document.pages) or 0),
        )
        chunks.append(Chunk(chunk_id(document.source, start, end, text), document.source, text, start, end, meta))
    return chunks
