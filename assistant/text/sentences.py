"""Sentence and paragraph spans: offsets into a text, shared by chunking and answering."""

from __future__ import annotations

import re

# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by space and a capital,
# digit or opening quote. Common abbreviations are not sentence ends.
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[A-Z0-9\"'“‘(\[À-Ý])")
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:dll|dsb|dkk|dst|yth|no|hlm|tel|mr|mrs|ms|dr|prof|st|vs|etc|e\.g|i\.e|cf|al|jl|kab|kec|pt|tbk|ir|drs|h)"
    r"|\b[A-Z])\.$",
    re.I,
)


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Split ``text`` into sentences; returns (start, end) pairs shifted by ``offset``."""
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if _ABBREVIATIONS.search(text[max(0, match.start() - 6) : match.start()]):
            continue
        end = match.start() + len(match.group(0).rstrip())
        if text[start:end].strip():
            spans.append((offset + start, offset + end))
        start = match.end()
    if text[start:].strip():
        spans.append((offset + start, offset + len(text.rstrip())))
    return spans


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph; paragraphs are separated by blank lines."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]+)*", text)]


def is_heading(line: str) -> bool:
    """A short line without final punctuation."""
    return not re.search(r"[.!?…:;)\"”]$", line) and len(line) < 100


def chunk_sentences(text: str, min_chars: int = 25, headings: bool = False) -> list[tuple[int, int]]:
    """Sentence spans in a chunk's text, skipping fragments and (unless ``headings``) headings."""
    spans = []
    for p_start, p_end in paragraph_spans(text):
        for start, end in sentence_spans(text[p_start:p_end], p_start):
            piece = text[start:end]
            stripped = piece.strip(" \t\n\u00c2\u00a0")
            if len(stripped) < (12 if headings else min_chars):
                continue
            if not headings and is_heading(stripped):
                continue
            offset = piece.index(stripped)
            spans.append((start + offset, start + offset + len(stripped)))
    return spans


def sentence_texts(text: str) -> list[str]:
    """Every sentence of a chunk the answerer may embed (with and without headings), in order,
    once each: the index embeds them beside the passages so a first answer finds them cached."""
    spans = dict.fromkeys([*chunk_sentences(text), *chunk_sentences(text, headings=True)])
    return list(dict.fromkeys(text[a:b] for a, b in sorted(spans)))
