"""HTML of answers, sources and status messages, from the Jinja2 templates in ``templates/`` with
autoescape on: a value is escaped unless it is markup already (a macro's output, or a
``markupsafe.Markup`` built with :meth:`Markup.format`, which escapes its arguments)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from assistant.types import Answer, Passage

EMPTY_SOURCES = Markup(
    '<div id="sources-panel" data-state="empty"><p class="notice">Sources appear here: '
    "for every [n] in an answer, the reading, its location and the passage with the "
    "quoted sentence highlighted.</p></div>"
)
SEARCHING = Markup('<div id="sources-panel" data-state="searching"><p class="notice">Searching the readings…</p></div>')


@lru_cache(maxsize=1)
def fragments() -> Any:
    """The macros of ``templates/fragments.html`` (loaded once)."""
    env = Environment(loader=PackageLoader("assistant.ui"), autoescape=select_autoescape(default=True))
    return env.get_template("fragments.html").module


def highlight(text: str, quote: str, answer: tuple[int, int] | None = None) -> Markup:
    """``text`` as HTML with the first occurrence of ``quote`` in ``<mark class="quote">`` and, when
    ``answer`` gives the reader's span (offsets in ``text``) inside it, the span in ``<mark class="answer">``."""
    at = text.find(quote) if quote else -1
    if at < 0:
        return Markup.escape(text)
    end = at + len(quote)
    inner = None
    if answer is not None and at <= answer[0] < answer[1] <= end:
        a, b = answer[0] - at, answer[1] - at
        inner = (quote[:a], quote[a:b], quote[b:])
    return fragments().highlight(text[:at], quote, text[end:], inner)


def _answer_span(citation) -> tuple[int, int] | None:
    if citation.answer_start is None or citation.answer_end is None:
        return None
    return citation.answer_start, citation.answer_end


def passage_card(passage: Passage) -> Markup:
    chunk = passage.chunk
    return fragments().source_card(None, chunk.title, chunk.source, chunk.location, chunk.text)


def render_sources(answer: Answer) -> Markup:
    """The sources panel for one answer; an abstention lists the closest passages instead."""
    if answer.abstained:
        return fragments().sources_panel("abstained", [passage_card(p) for p in answer.passages])
    card = fragments().source_card
    cards = [
        card(c.n, c.title, c.source, c.location, highlight(c.text, c.quote, _answer_span(c))) for c in answer.citations
    ]
    return fragments().sources_panel("answered", cards or [passage_card(p) for p in answer.passages])


def status_list(box_id: str, lines: list[str], kind: str = "info") -> Markup:
    """A status box ``<div id=box_id data-kind=kind>`` listing ``lines`` (plain text is escaped;
    ``Markup`` lines are kept)."""
    return fragments().status_list(box_id, kind, lines)
