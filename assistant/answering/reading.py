"""What the reader model finds in the top passages: per passage the best answer span and how sure
it is that the passage answers the question (the span score over the no-answer score).

The reader (:mod:`assistant.models.reader`) reads at most :data:`READ_DEPTH` passages. A question
in one language over passages in the other is also read in the glossary's word-for-word
rendering when there is one, and the better reading of each passage is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from assistant.types import Passage

READ_DEPTH = 5
NO_SPAN_MARGIN = -20.0  # the margin recorded when no passage was read


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
        return bool(self.text.strip()) and self.margin > 0.0


@dataclass
class Reading:
    """The reader's spans over the passages read, best first."""

    spans: list[SpanEvidence] = field(default_factory=list)

    @property
    def best(self) -> SpanEvidence | None:
        """The answering span with the highest margin (None when no passage answers)."""
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
