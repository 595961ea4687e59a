"""Sentences of the retrieved passages, scored against the question (embedding similarity,
glossary-aware word coverage and small priors), and the choice of the sentences to quote."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.answering.terms import Alternatives, TermWeights, coverage, term_alternatives
from assistant.index.embeddings import Embedder, embed_query
from assistant.index.vector_cache import VectorCache, embed_passages_cached
from assistant.text.language import detect_language
from assistant.text.query import (
    ASKS_ABOUT_A_HEADING,
    ASKS_ABOUT_A_QUESTION,
    DEFINITION_CUE,
    DEFINITION_QUESTION,
    refers_to_source,
)
from assistant.text.sentences import chunk_sentences, is_heading
from assistant.text.tokens import content_tokens
from assistant.types import Passage


@dataclass
class Sentence:
    """A sentence of a retrieved passage, scored against the question."""

    passage: Passage
    start: int
    end: int
    similarity: float = 0.0
    coverage: float = 0.0
    prior: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]

    @property
    def embedded(self) -> np.ndarray:
        """The sentence's vector, set by ``SentenceScorer.sentences``."""
        if self.vector is None:
            raise ValueError("the sentence has not been embedded yet")
        return self.vector

    @property
    def relevance(self) -> float:
        return self.similarity + 0.08 * self.coverage + self.prior

    @property
    def position(self) -> tuple[str, int]:
        return self.passage.chunk.source, self.passage.chunk.start + self.start


class SentenceScorer:
    """Scores passage sentences against a query; sentence vectors are cached on disk."""

    def __init__(self, embedder: Embedder, cache: VectorCache | None = None) -> None:
        self.embedder = embedder
        self.cache = cache

    def vectors(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return embed_passages_cached(self.embedder, texts, self.cache)[0]

    def query_vector(self, text: str) -> np.ndarray:
        return embed_query(self.embedder, text)

    def sentences(
        self,
        query: str,
        passages: list[Passage],
        qvec: np.ndarray | None = None,
        weights: TermWeights | None = None,
        rendering: tuple[str, str] | None = None,
        alternatives: Alternatives | None = None,
    ) -> list[Sentence]:
        """Every sentence of ``passages`` with its similarity to and coverage of ``query``.

        Each sentence also gets a small prior: up to 0.03 from its passage's retrieval score
        (relative to the others), 0.02 when a "what is X" question meets a defining sentence, and
        -0.02 for a reading's sentence about the source essay (a restatement: the essay itself
        is the better quote). Questions in the text are skipped unless the query asks about one;
        headings are skipped unless it asks about a heading (then they get 0.05).
        ``rendering`` is (language, the query rendered word for word in it; see
        ``Retriever.expansion``): a sentence in that language scores the better of its two
        similarities.
        """
        qvec = self.query_vector(query) if qvec is None else qvec
        q_tokens = content_tokens(query)
        alternatives = term_alternatives(query) if alternatives is None else alternatives
        scores = [p.score for p in passages]
        low, span = (min(scores), (max(scores) - min(scores)) or 1.0) if scores else (0.0, 1.0)
        definition = bool(DEFINITION_QUESTION.search(query))
        asks_about_a_question = bool(ASKS_ABOUT_A_QUESTION.search(query))
        headings = bool(ASKS_ABOUT_A_HEADING.search(query))
        found: list[Sentence] = []
        seen: set[tuple[str, str]] = set()
        for passage in passages:
            for start, end in chunk_sentences(passage.chunk.text, headings=headings):
                key = (passage.chunk.source, passage.chunk.text[start:end])
                if key[1].endswith("?") and not asks_about_a_question:
                    continue  # a question in the text answers nothing ("bagaimana sih liberalisme ...?")
                if key not in seen:  # overlapping chunks repeat sentences
                    seen.add(key)
                    found.append(Sentence(passage, start, end, prior=0.03 * (passage.score - low) / span))
        vectors = self.vectors([s.text for s in found])
        rvec = self.query_vector(rendering[1]) if rendering else None
        for sentence, vector in zip(found, vectors):
            sentence.vector = vector
            sentence.similarity = float(np.dot(vector, qvec))
            if rvec is not None and rendering and passage_language(sentence.passage) == rendering[0]:
                sentence.similarity = max(sentence.similarity, float(np.dot(vector, rvec)))
            sentence.coverage = coverage(q_tokens, content_tokens(sentence.text), weights, alternatives)
            if headings and is_heading(sentence.text):
                sentence.prior += 0.05
            if definition and DEFINITION_CUE.search(sentence.text):
                sentence.prior += 0.02
            if sentence.passage.chunk.metadata.get("kind") == "reading" and refers_to_source(sentence.text):
                sentence.prior -= 0.02  # a reading restating the essay: quote the essay itself
        return found


SELECT_WINDOW = 0.03  # sentences quoted beside the best one score within this of it


def select_sentences(
    candidates: list[Sentence], limit: int = 3, window: float = SELECT_WINDOW, redundancy: float = 0.93
) -> list[Sentence]:
    """Pick the best sentence and up to ``limit - 1`` more that are nearly as relevant
    (within ``window``) and do not repeat one already picked (cosine below ``redundancy``)."""
    ranked = sorted(candidates, key=lambda s: -s.relevance)
    picked: list[Sentence] = []
    for sentence in ranked:
        if len(picked) >= limit or (picked and sentence.relevance < picked[0].relevance - window):
            break
        if any(float(np.dot(sentence.embedded, p.embedded)) >= redundancy for p in picked):
            continue
        picked.append(sentence)
    return picked


def passage_language(passage: Passage) -> str:
    lang = str(passage.chunk.metadata.get("language") or "")
    return lang if lang in ("id", "en") else detect_language(passage.chunk.text)
