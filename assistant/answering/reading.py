"""What the reader model finds in the top passages: per passage the best answer span and how sure
it is that the passage answers the question (the span score over the no-answer score).

The reader (:mod:`assistant.models.reader`) reads at most :data:`READ_DEPTH` passages. A question
in one language over passages in the other is also read in the glossary's word-for-word
rendering when there is one, and the better reading of each passage is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.types import Passage

READ_DEPTH = 5
NO_SPAN_MARGIN = -20.0  # the margin recorded when no passage was read
# Once the abstention model has decided to answer, the reader's best span is the short answer when
# its margin is at least this. The reader's own threshold (margin 0) was tuned for no-answer on
# TyDi paragraphs; on the readings' long essay chunks it gives correct spans margins between -3 and
# 0 ("darat, udara, dan laut" -2.7, the three components of the cyber-diplomacy arsenal -0.7).
# Chosen on evals/source, readings and calibration (in-sample; docs/benchmarks.md, "Reading the
# span"): Indonesian short-answer token F1 0.42 at 0, 0.51 at -3, 0.49 at -2 and -4.
SPAN_FLOOR = -3.0
# An answer lists the passages read in the order of z(retrieval score) + this weight x z(reader margin), z-scores
# taken among them. Chosen on 150 TyDi-id train questions; on all 402 valid ones (held out) it lifts nDCG@10 over
# the top 5 from 0.905 to 0.915 and recall@1 from 0.833 to 0.856 (benchmarks.rerank_reader --depth 5).
RERANK_WEIGHT = 0.5


class ReaderLike(Protocol):
    def read(self, question: str, passages: list[str]) -> list: ...


@dataclass(frozen=True)
class SpanEvidence:
    """The reader's best span in one passage; ``start``/``end`` are offsets in the chunk's text."""

    passage: Passage
    text: str
    start: int
    end: int
    margin: float  # span score - no-answer score - the reader's threshold (> 0: the passage answers)

    @property
    def answers(self) -> bool:
        """The reader itself says the passage answers (margin above its tuned threshold)."""
        return bool(self.text.strip()) and self.margin > 0.0

    @property
    def usable(self) -> bool:
        """Good enough to lead an answer the abstention model decided to give (:data:`SPAN_FLOOR`)."""
        return bool(self.text.strip()) and self.margin >= SPAN_FLOOR


@dataclass
class Reading:
    """The reader's spans over the passages read, best first."""

    spans: list[SpanEvidence] = field(default_factory=list)

    @property
    def best(self) -> SpanEvidence | None:
        """The usable span with the highest margin (None when no span is above :data:`SPAN_FLOOR`)."""
        return next((s for s in self.spans if s.usable), None)

    @property
    def best_answering(self) -> SpanEvidence | None:
        """The span with the highest margin among those the reader itself says answer."""
        return next((s for s in self.spans if s.answers), None)

    @property
    def margin(self) -> float:
        """The highest margin over the passages read (the abstention signal)."""
        return self.spans[0].margin if self.spans else NO_SPAN_MARGIN

    def without(self, excluded) -> Reading:
        """The same reading without the spans ``excluded(span)`` rejects."""
        return Reading([s for s in self.spans if not excluded(s)])


def read_passages(
    reader: ReaderLike, question: str, passages: list[Passage], rendering: str | None = None, depth: int = READ_DEPTH
) -> Reading:
    """Read the first ``depth`` passages for ``question`` (and its rendering in the passages'
    other language, when given); spans sorted by margin, best first."""
    read = passages[:depth]
    if not read or not question.strip():
        return Reading()
    texts = [p.chunk.text for p in read]
    best = [_evidence(p, s) for p, s in zip(read, reader.read(question, texts))]
    if rendering and rendering.strip() and rendering.strip() != question.strip():
        for i, span in enumerate(reader.read(rendering, texts)):
            other = _evidence(read[i], span)
            if other.margin > best[i].margin:
                best[i] = other
    return Reading(sorted(best, key=lambda s: -s.margin))


def _evidence(passage: Passage, span) -> SpanEvidence:
    margin = float(span.margin - span.threshold) if span.text else NO_SPAN_MARGIN
    return SpanEvidence(passage, span.text, span.start, span.end, max(NO_SPAN_MARGIN, margin))


def reader_order(passages: list[Passage], reading: Reading | None, weight: float = RERANK_WEIGHT) -> list[Passage]:
    """``passages`` with those the reader read reordered by :func:`reader_scores`; passages it did
    not read follow in their order."""
    margins = {id(s.passage): s.margin for s in reading.spans} if reading else {}
    read = [p for p in passages if id(p) in margins]
    if len(read) < 2:
        return list(passages)
    combined = reader_scores([p.score for p in read], [margins[id(p)] for p in read], weight)
    order = np.argsort(-combined, kind="stable")  # ties keep the retrieval order
    return [read[i] for i in order] + [p for p in passages if id(p) not in margins]


def reader_scores(scores, margins, weight: float = RERANK_WEIGHT) -> np.ndarray:
    """z(retrieval scores) + ``weight`` x z(reader margins), z-scores taken among the candidates."""
    return _z(np.asarray(scores, dtype=float)) + weight * _z(np.asarray(margins, dtype=float))


def _z(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
