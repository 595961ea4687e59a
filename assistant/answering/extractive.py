"""The extractive answerer (default, offline): the best passage sentences, verbatim, in reading
order under a lead-in in the question's language."""

from __future__ import annotations

import numpy as np

from assistant.answering.abstention import abstention
from assistant.answering.citations import make_citation
from assistant.answering.reading import Reading, SpanEvidence
from assistant.answering.scoring import SELECT_WINDOW, Sentence, passage_language, select_sentences
from assistant.text.sentences import chunk_sentences
from assistant.types import Answer, Citation, Passage

LEAD_IN = {
    ("id", "id"): "Menurut bacaan:",
    ("en", "en"): "According to the readings:",
    ("en", "id"): "According to the readings (quoted in the original Indonesian):",
    ("id", "en"): "Menurut bacaan (dikutip dalam bahasa Inggris aslinya):",
}


def reading_order(sentences: list[Sentence]) -> list[Sentence]:
    """Sentences grouped by reading (most relevant reading first), in text order within one."""
    first: dict[str, int] = {}
    for i, s in enumerate(sentences):
        first.setdefault(s.passage.chunk.source, i)
    return sorted(sentences, key=lambda s: (first[s.passage.chunk.source], s.position[1]))


def _merge_adjacent(sentences: list[Sentence]) -> list[tuple[Passage, int, int]]:
    """(passage, start, end) quotes; neighbouring sentences of one chunk become one quote."""
    quotes: list[tuple[Passage, int, int]] = []
    for s in sentences:
        if quotes and quotes[-1][0] is s.passage:
            passage, start, end = quotes[-1]
            between = passage.chunk.text[end : s.start] if s.start >= end else "x"
            if not between.strip(" \t\n\u00c2\u00a0"):
                quotes[-1] = (passage, start, s.end)
                continue
        quotes.append((s.passage, s.start, s.end))
    return quotes


SHORT_LEAD = {"id": "Jawaban singkat:", "en": "Short answer:"}
SHORT_SHARE = 0.6  # a span shorter than this share of its sentence is led with as the short answer
# The reader's span leads the answer only when the sentence holding it is among this many of the
# best-scored sentences, and the best-scored such sentence wins: the reader reads passages one at a
# time and cannot see that a reading restating the essay is a weaker source than the essay's own
# sentence (docs/benchmarks.md, "Reading the span").
SPAN_RANK = 3


def leading_span(
    reading: Reading, candidates: list[Sentence], language: str, rank: int = SPAN_RANK
) -> SpanEvidence | None:
    """The reader's span in the best-scored of the ``rank`` best candidate sentences that holds a
    usable one (None when none does). The sentence scores choose the sentence, as they include what
    the reader cannot see (a reading restating the essay ranks below the essay); the reader chooses
    the words. A span read across languages (an English question over an Indonesian passage) must
    clear the reader's own threshold: below it, such spans were often a single word (in-sample,
    docs/benchmarks.md)."""
    usable = [s for s in reading.spans if s.answers or (s.usable and passage_language(s.passage) == language)]
    holders = [(span, span_sentence(span, candidates)) for span in usable]  # each span's sentence, found once
    for sentence in sorted(candidates, key=lambda s: -s.relevance)[:rank]:
        span = next((span for span, holder in holders if _overlaps(holder, sentence)), None)
        if span is not None:
            return span
    return None


def span_sentence(span: SpanEvidence, sentences: list[Sentence]) -> Sentence:
    """The scored sentence that holds the reader's span; else the passage's sentence around it
    (headings and questions included); else the span itself. Widened when the span runs past it."""
    text = span.passage.chunk.text
    around = next(
        ((s.start, s.end, s) for s in sentences if s.passage is span.passage and s.start <= span.start < s.end), None
    )
    if around is None:
        bounds = next(
            ((a, b) for a, b in chunk_sentences(text, min_chars=1, headings=True) if a <= span.start < b),
            (span.start, span.end),
        )
        return Sentence(span.passage, bounds[0], max(bounds[1], span.end))
    start, end, sentence = around
    return (
        sentence
        if span.end <= end
        else Sentence(
            span.passage,
            start,
            span.end,
            vector=sentence.vector,
            similarity=sentence.similarity,
            coverage=sentence.coverage,
        )
    )


def with_span(
    span: SpanEvidence | None,
    candidates: list[Sentence],
    limit: int,
    redundancy: float = 0.93,
) -> list[Sentence]:
    """The sentences to quote: the one holding the reader's span first (when there is a span), then
    the best others as :func:`select_sentences` picks them, without near-repeats of it."""
    if span is None:
        return select_sentences(candidates, limit)
    first = span_sentence(span, candidates)
    top = max((s.relevance for s in candidates), default=0.0)
    rest = [s for s in candidates if s is not first and not _overlaps(s, first)]
    others = [s for s in select_sentences(rest, limit) if s.relevance >= top - SELECT_WINDOW]
    if first.vector is not None:
        others = [s for s in others if s.vector is None or float(np.dot(s.vector, first.vector)) < redundancy]
    return [first, *others][:limit]


def _overlaps(a: Sentence, b: Sentence) -> bool:
    return (
        a.passage.chunk.source == b.passage.chunk.source
        and a.position[1] < b.position[1] + (b.end - b.start)
        and b.position[1] < a.position[1] + (a.end - a.start)
    )


def compose_extractive(
    sentences: list[Sentence],
    language: str,
    span: SpanEvidence | None = None,
) -> tuple[str, list[Citation]]:
    """Answer text (lead-in plus verbatim quotes with ``[n]``) and its citations.

    Quotes in another language than the question's are kept verbatim inside quotation marks;
    when every quote is in that other language, the lead-in says so. With the reader's ``span``,
    the citation whose quote holds it gets its offsets, and a span much shorter than its sentence
    leads the answer as the short answer.
    """
    quotes = _merge_adjacent(reading_order(sentences))
    langs = [passage_language(p) for p, _, _ in quotes]
    foreign = {lang for lang in langs if lang != language}
    quote_lang = foreign.pop() if foreign and len(set(langs)) == 1 else language
    parts, citations, lead = [LEAD_IN[(language, quote_lang)]], [], ""
    for n, ((passage, start, end), lang) in enumerate(zip(quotes, langs), 1):
        citation = make_citation(n, passage, start, end)
        quote = passage.chunk.text[start:end]
        if span is not None and passage is span.passage and start <= span.start and span.end <= end:
            citation.answer_start, citation.answer_end = span.start, span.end
            if not lead and len(span.text) < SHORT_SHARE * len(quote):
                short = f"\u201c{span.text}\u201d" if lang != language else span.text
                lead = f"{SHORT_LEAD[language]} {short} [{n}]."
        citations.append(citation)
        parts.append(f"\u201c{quote}\u201d [{n}]" if lang != language else f"{quote} [{n}]")
    return " ".join([lead, *parts] if lead else parts), citations


def quoted_before(sentence: Sentence, earlier: list[str]) -> bool:
    """True when an earlier answer of the conversation quoted ``sentence``."""
    own = _squash(sentence.text)
    return any(own in _squash(text) for text in earlier if text)


def not_quoted_before(sentences: list[Sentence], earlier: list[str]) -> list[Sentence]:
    """The sentences that no earlier answer of the conversation quoted (all of them when every one was)."""
    fresh = [s for s in sentences if not quoted_before(s, earlier)]
    return fresh or sentences


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def extractive_answer(
    question: str,
    language: str,
    passages: list[Passage],
    sentences: list[Sentence],
    limit: int = 3,
    reading: Reading | None = None,
    earlier: list[str] | None = None,
) -> Answer:
    """The extractive answer from already scored sentences (abstains when there are none).

    ``reading`` is the reader's spans over the passages; ``earlier`` the texts of the conversation's
    earlier answers, whose quotes are not repeated unless nothing else answers.
    """
    candidates = not_quoted_before(sentences, earlier or [])
    if reading is not None:  # a span in a heading or a question of the text answers nothing, as its sentence
        reading = reading.without(
            lambda s: not any(t.passage is s.passage and t.start <= s.start < t.end for t in sentences)
        )
    if reading is not None and earlier and candidates is not sentences:
        reading = reading.without(lambda s: quoted_before(span_sentence(s, sentences), earlier))
    span = leading_span(reading, candidates, language) if reading else None
    picked = with_span(span, candidates, limit) if candidates else []
    if not picked:
        return abstention(question, language, passages)
    text, citations = compose_extractive(picked, language, span)
    return Answer(
        text=text,
        citations=citations,
        language=language,
        llm="extractive",
        passages=passages,
        question=question,
        short_answer=span.text if span is not None else None,
    )
