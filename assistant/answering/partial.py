"""Partial answers: a question about the source text that the source only raises (a heading, a
question it announces and leaves open), while a related reading continues it.

The reply says what the source says, verbatim, that it goes no further, and quotes the reading
that continues it as a separate text, so a reading's view is never attributed to the essay.
"""

from __future__ import annotations

from assistant.answering.citations import make_citation
from assistant.answering.extractive import compose_extractive, with_span
from assistant.answering.reading import Reading, SpanEvidence, reader_order
from assistant.answering.scoring import Sentence
from assistant.answering.terms import Alternatives, TermWeights, coverage
from assistant.text.sentences import chunk_sentences
from assistant.text.tokens import content_tokens
from assistant.types import Answer, Passage

RAISED_COVERAGE = 0.5  # share of the question's (IDF-weighted) words a source line must hold

LEADS = {
    "id": (
        "Teks sumber hanya menyinggung hal ini:",
        "Teks sumber tidak membahasnya lebih jauh. "
        "Bacaan terkait yang melanjutkannya (bukan esai itu sendiri) menyatakan:",
    ),
    "en": (
        "The source text only raises this:",
        "It goes no further. A related reading that continues it (not the essay itself) says:",
    ),
}


def raised_by_source(
    query: str, passages: list[Passage], weights: TermWeights | None = None, alternatives: Alternatives = ()
) -> tuple[Passage, int, int] | None:
    """The source line (headings and questions included) that holds most of the question's words,
    when it holds at least :data:`RAISED_COVERAGE` of them: (passage, start, end) in its chunk."""
    tokens = content_tokens(query)
    best, best_cover = None, RAISED_COVERAGE
    for passage in passages:
        if passage.chunk.metadata.get("kind") != "source":
            continue
        text = passage.chunk.text
        for start, end in chunk_sentences(text, min_chars=1, headings=True):
            cover = coverage(tokens, content_tokens(text[start:end]), weights, alternatives)
            if cover >= best_cover:
                best, best_cover = (passage, start, end), cover
    return best


def raised_lines(passage: Passage, start: int, end: int) -> tuple[int, int]:
    """The raised line and, when it is a heading, the line after it (the question it announces)."""
    text = passage.chunk.text
    lines = chunk_sentences(text, min_chars=1, headings=True)
    after = [(a, b) for a, b in lines if a >= end]
    if after and not text[start:end].rstrip().endswith((".", "?", "!")) and not text[end : after[0][0]].count("\n\n"):
        return start, after[0][1]
    return start, end


def continuing_span(reading: Reading | None) -> SpanEvidence | None:
    """The span of the reading that continues the source: among the other readings' passages whose span the reader
    itself vouches for (a weaker one may come from a reading that does not continue it), the one ranked first in the
    order answers use (:func:`reader_order`: retrieval score and reader margin combined). The highest margin alone
    can come from a reading that only mentions the essay in passing."""
    if reading is None:
        return None
    others = reading.without(lambda s: s.passage.chunk.metadata.get("kind") == "source")
    spans = {id(s.passage): s for s in others.spans}
    ranked = (spans[id(p)] for p in reader_order([s.passage for s in others.spans], others))
    return next((s for s in ranked if s.answers), None)


def partial_answer(
    question: str,
    language: str,
    raised: tuple[Passage, int, int],
    sentences: list[Sentence],
    reading: Reading | None,
    passages: list[Passage],
    limit: int = 2,
) -> Answer | None:
    """What the source says (``raised``) and what a related reading that continues it says (its best
    sentences, with the reader's span); None when no reading's sentence is available."""
    others = [s for s in sentences if s.passage.chunk.metadata.get("kind") != "source"]
    span = continuing_span(reading)
    picked = with_span(span, others, limit)
    if not picked:
        return None
    passage, start, end = raised
    start, end = raised_lines(passage, start, end)
    first = make_citation(1, passage, start, end)
    _, renumbered = compose_extractive(picked, language, span)  # its citations, numbered from 2
    for citation in renumbered:
        citation.n += 1
    quotes = " ".join(f"\u201c{c.quote}\u201d [{c.n}]" for c in renumbered)
    lead, follow = LEADS[language]
    text = f"{lead} \u201c{first.quote}\u201d [1] {follow} {quotes}"
    return Answer(
        text=text,
        citations=[first, *renumbered],
        language=language,
        llm="extractive",
        passages=passages,
        question=question,
        partial=True,
        short_answer=span.text if span is not None else None,
    )
