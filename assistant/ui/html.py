"""HTML of answers and sources: each citation's passage with its quoted sentence in a ``<mark>``."""

from __future__ import annotations

import html

from assistant.types import Answer, Passage

EMPTY_SOURCES = (
    '<div id="sources-panel" data-state="empty"><p class="notice">Sources appear here: '
    "for every [n] in an answer, the reading, its location and the passage with the "
    "quoted sentence highlighted.</p></div>"
)
SEARCHING = '<div id="sources-panel" data-state="searching"><p class="notice">Searching the readings…</p></div>'


def highlight(text: str, quote: str, answer: tuple[int, int] | None = None) -> str:
    """``text`` as HTML with the first occurrence of ``quote`` in ``<mark class="quote">`` and, when
    ``answer`` gives the reader's span (offsets in ``text``) inside it, the span in ``<mark class="answer">``."""
    at = text.find(quote) if quote else -1
    if at < 0:
        return html.escape(text)
    end = at + len(quote)
    inner = html.escape(quote)
    if answer is not None and at <= answer[0] < answer[1] <= end:
        a, b = answer[0] - at, answer[1] - at
        inner = f'{html.escape(quote[:a])}<mark class="answer">{html.escape(quote[a:b])}</mark>{html.escape(quote[b:])}'
    return f'{html.escape(text[:at])}<mark class="quote">{inner}</mark>{html.escape(text[end:])}'


def _answer_span(citation) -> tuple[int, int] | None:
    if citation.answer_start is None or citation.answer_end is None:
        return None
    return citation.answer_start, citation.answer_end


def source_card(n: int | None, title: str, source: str, location: str, body_html: str) -> str:
    label = f'<span class="source-n">[{n}]</span> ' if n is not None else ""
    where = " · ".join(html.escape(part) for part in (source, location) if part)
    anchor = f' id="source-{n}" data-n="{n}"' if n is not None else ""
    return (
        f'<li class="source"{anchor}><div class="source-head">{label}<strong>{html.escape(title)}</strong></div>'
        f'<div class="source-meta">{where}</div><blockquote class="source-text">{body_html}</blockquote></li>'
    )


def passage_card(passage: Passage) -> str:
    chunk = passage.chunk
    return source_card(None, chunk.title, chunk.source, chunk.location, html.escape(chunk.text))


def render_sources(answer: Answer) -> str:
    """The sources panel for one answer; an abstention lists the closest passages instead."""
    if answer.abstained:
        cards = "".join(passage_card(p) for p in answer.passages)
        return (
            f'<div id="sources-panel" data-state="abstained"><div class="abstention">'
            f"<strong>No answer in the readings.</strong> Tidak ada jawaban dalam bacaan. "
            f'Closest passages / bagian terdekat:</div><ol class="sources closest">{cards}</ol></div>'
        )
    cards = "".join(
        source_card(c.n, c.title, c.source, c.location, highlight(c.text, c.quote, _answer_span(c)))
        for c in answer.citations
    )
    if not cards:
        cards = "".join(passage_card(p) for p in answer.passages)
    return f'<div id="sources-panel" data-state="answered"><ol class="sources">{cards}</ol></div>'
