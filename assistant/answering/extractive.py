"""The extractive answerer (default, offline): the best passage sentences, verbatim, in reading
order under a lead-in in the question's language."""

from __future__ import annotations

from assistant.answering.abstention import abstention
from assistant.answering.citations import make_citation
from assistant.answering.scoring import Sentence, passage_language, select_sentences
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
            between = passage.chunk.text[end:s.start] if s.start >= end else "x"
            if not between.strip(" \t\n\u00c2\u00a0"):
                quotes[-1] = (passage, start, s.end)
                continue
        quotes.append((s.passage, s.start, s.end))
    return quotes


def compose_extractive(sentences: list[Sentence], language: str) -> tuple[str, list[Citation]]:
    """Answer text (lead-in plus verbatim quotes with ``[n]``) and its citations.

    Quotes in another language than the question's are kept verbatim inside quotation marks;
    when every quote is in that other language, the lead-in says so.
    """
    quotes = _merge_adjacent(reading_order(sentences))
    langs = [passage_language(p) for p, _, _ in quotes]
    foreign = {lang for lang in langs if lang != language}
    quote_lang = foreign.pop() if foreign and len(set(langs)) == 1 else language
    parts, citations = [LEAD_IN[(language, quote_lang)]], []
    for n, ((passage, start, end), lang) in enumerate(zip(quotes, langs), 1):
        citations.append(make_citation(n, passage, start, end))
        quote = passage.chunk.text[start:end]
        parts.append(f"\u201c{quote}\u201d [{n}]" if lang != language else f"{quote} [{n}]")
    return " ".join(parts), citations


def extractive_answer(question: str, language: str, passages: list[Passage], sentences: list[Sentence],
                      limit: int = 3) -> Answer:
    """The extractive answer from already scored sentences (abstains when there are none)."""
    picked = select_sentences(sentences, limit)
    if not picked:
        return abstention(question, language, passages)
    text, citations = compose_extractive(picked, language)
    return Answer(text=text, citations=citations, language=language, llm="extractive", passages=passages,
                  question=question)
