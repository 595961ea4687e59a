"""Abstention signals: evidence that the retrieved passages answer the question."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assistant.answering.reading import Reading
from assistant.answering.scoring import Sentence, passage_language
from assistant.answering.terms import Alternatives, TermWeights, coverage, covered, term_alternatives
from assistant.text.language import detect_language
from assistant.text.query import AMOUNT, DATE, DATE_QUESTION, FACTOID_QUESTION, NUMBER, NUMBER_QUESTION
from assistant.text.tokens import FRAME_WORDS, FUNCTION_WORDS, WORD, content_tokens, stem
from assistant.types import Passage


@dataclass
class Signals:
    """Evidence that the retrieved passages answer the question (inputs of the calibration)."""

    top_dense: float = 0.0
    dense_margin: float = 0.0
    best_sentence: float = 0.0
    sentence_coverage: float = 0.0
    passage_coverage: float = 0.0
    missing_numbers: float = 0.0
    type_unanswered: float = 0.0
    unknown_names: float = 0.0
    unknown_terms: float = 0.0
    missing_key: float = 0.0
    cross_language: float = 0.0
    # Factoid questions only (0 otherwise): the reader's best span score over its no-answer score, minus its threshold
    reader_margin: float = 0.0

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in SIGNAL_NAMES]


SIGNAL_NAMES = [
    "top_dense",
    "dense_margin",
    "best_sentence",
    "sentence_coverage",
    "passage_coverage",
    "missing_numbers",
    "type_unanswered",
    "unknown_names",
    "unknown_terms",
    "missing_key",
    "cross_language",
    "reader_margin",
]

_APOSTROPHES = str.maketrans({"\u2019": "'"})


def _capitalised(question: str) -> list[str]:
    """Words from a capital letter on, hyphenated ones in their parts as the collection's tokens have them:
    "Indonesia's" gives "Indonesia", "al-Ikhshīd" "Ikhshīd", "ID-SIRTII" "ID" and "SIRTII", "COVID-19" "COVID"
    and "19"."""
    found = []
    for word in WORD.findall(question):
        for piece in word.translate(_APOSTROPHES).split("'"):
            parts = piece.split("-")
            first = next((i for i, part in enumerate(parts) if "A" <= part[0] <= "Z"), None)
            if first is not None:
                found.extend(parts[first:])
    return found


def question_names(question: str) -> set[str]:
    """Stemmed capitalised words of a question (names, acronyms), framing words excluded."""
    names = set()
    for word in _capitalised(question):
        lower = word.lower()
        if lower in FRAME_WORDS or lower in FUNCTION_WORDS or len(lower) < 2:
            continue
        names.add(stem(lower))
    return names


def unknown_share(tokens: set[str], weights: TermWeights | None, alternatives: Alternatives = ()) -> float:
    """IDF-weighted share of ``tokens`` that occur nowhere in the collection (neither they nor a
    glossary rendering of their term)."""
    if not tokens or weights is None:
        return 0.0
    known = covered(tokens, weights.df, alternatives)
    total = sum(weights.weight(t) for t in tokens)
    return sum(weights.weight(t) for t in tokens - known) / total


def missing_key(
    tokens: set[str], text_tokens: set[str], weights: TermWeights | None, alternatives: Alternatives = ()
) -> float:
    """How specific the most specific question word missing from the text is: its IDF over the
    largest possible IDF (0 when every word is there)."""
    if not tokens or weights is None:
        return 0.0
    missing = tokens - covered(tokens, text_tokens, alternatives)
    top = math.log(1.0 + weights.n)
    return max((weights.weight(t) for t in missing), default=0.0) / top


def type_unanswered(query: str, texts: str) -> float:
    """1 when the question asks for a figure or a date and the best sentences hold none."""
    if DATE_QUESTION.search(query):  # before the figure check: "tahun berapa" asks for a year
        return float(not DATE.search(texts))
    if NUMBER_QUESTION.search(query):
        return float(not AMOUNT.search(texts))
    return 0.0


def factoid_margin(query: str, reading: Reading | None) -> float:
    """The reader's margin clipped to [-10, 10] and scaled to [-1, 1], for a factoid question
    (:data:`FACTOID_QUESTION`); 0 for other questions and when nothing was read."""
    if reading is None or not FACTOID_QUESTION.search(query):
        return 0.0
    return scaled_margin(reading.margin)


def scaled_margin(margin: float) -> float:
    """A reader margin clipped to [-10, 10] and scaled to [-1, 1] (the signal's range)."""
    return max(-10.0, min(10.0, margin)) / 10.0


def compute_signals(
    query: str,
    passages: list[Passage],
    sentences: list[Sentence],
    k: int = 5,
    weights: TermWeights | None = None,
    alternatives: Alternatives | None = None,
    reading: Reading | None = None,
) -> Signals:
    """The abstention signals for a query, its retrieved passages (best first, ideally more
    than ``k``: the rest serve as the background for the margin), their scored sentences and
    the reader's spans (``reading``; see :func:`factoid_margin`)."""
    if not passages:
        return Signals()
    dense = [p.dense_score or 0.0 for p in passages]
    rest = dense[1:] or [dense[0]]
    top = passages[:k]
    q_tokens = content_tokens(query)
    alternatives = term_alternatives(query) if alternatives is None else alternatives
    in_top = [s for s in sentences if any(s.passage is p for p in top)] or sentences
    best = max(in_top, key=lambda s: s.relevance, default=None)
    # What the three best passages say: their sentences, so headings and questions in the text
    # ("PANDANGAN LIBERALISME ...", "bagaimana sih ...?") do not count as evidence.
    top_text = " ".join(s.text for s in in_top if any(s.passage is p for p in top[:3]))
    top_tokens = content_tokens(top_text)
    numbers = set(NUMBER.findall(query))
    best_texts = " ".join(s.text for s in sorted(in_top, key=lambda s: -s.relevance)[:2])
    return Signals(
        top_dense=dense[0],
        dense_margin=dense[0] - float(np.mean(rest)),
        best_sentence=best.similarity if best else 0.0,
        sentence_coverage=best.coverage if best else 0.0,
        passage_coverage=coverage(q_tokens, top_tokens, weights, alternatives),
        missing_numbers=(sum(n not in top_text for n in numbers) / len(numbers)) if numbers else 0.0,
        type_unanswered=type_unanswered(query, best_texts),
        unknown_names=unknown_share(question_names(query), weights, alternatives),
        unknown_terms=unknown_share(q_tokens, weights, alternatives),
        missing_key=missing_key(q_tokens, top_tokens, weights, alternatives),
        cross_language=float(best is not None and passage_language(best.passage) != detect_language(query)),
        reader_margin=factoid_margin(query, reading),
    )
