"""Plain data objects shared by every stage. They know nothing of LangChain, Chroma or Gradio."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Marker:
    """A position in a document's cleaned text where a page or section begins."""

    offset: int
    label: str


@dataclass
class Document:
    """One reading after loading and cleaning.

    ``text`` is the cleaned text; all offsets (chunks, pages, sections) point into it.
    ``source`` is the file path relative to the collection folder.
    """

    source: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    pages: list[Marker] = field(default_factory=list)
    sections: list[Marker] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.metadata.get("title") or self.source)

    def label_at(self, offset: int, markers: list[Marker]) -> str | None:
        """The label of the last marker at or before ``offset``."""
        found = None
        for marker in markers:
            if marker.offset <= offset:
                found = marker.label
            else:
                break
        return found


@dataclass
class Chunk:
    """A window of a document's cleaned text, ``text == document.text[start:end]``."""

    id: str
    source: str
    text: str
    start: int
    end: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.metadata.get("title") or self.source)

    @property
    def location(self) -> str:
        """Human-readable place of the chunk: page, section and paragraph where known."""
        parts = []
        if self.metadata.get("page"):
            parts.append(f"p. {self.metadata['page']}")
        if self.metadata.get("section"):
            parts.append(str(self.metadata["section"]))
        if self.metadata.get("paragraph"):
            parts.append(f"¶ {self.metadata['paragraph']}")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Passage:
    """A retrieved chunk with its scores (``score`` is the fused one used for ranking)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    rerank_score: float | None = None
    rank: int = 0

    def to_json(self, scores: bool = False) -> dict[str, Any]:
        """The passage as in ``ask --json`` ``passages``; ``scores`` adds the dense, BM25 and rerank
        scores (as in ``search --json`` ``results``)."""
        chunk = self.chunk
        data: dict[str, Any] = {
            "rank": self.rank,
            "chunk_id": chunk.id,
            "source": chunk.source,
            "title": chunk.title,
            "location": chunk.location,
            "text": chunk.text,
            "start": chunk.start,
            "end": chunk.end,
            "score": round(self.score, 6),
        }
        if scores:
            data.update(dense_score=self.dense_score, bm25_score=self.bm25_score, rerank_score=self.rerank_score)
        return data


@dataclass
class Citation:
    """A numbered reference from an answer to a passage; ``quote`` is verbatim in ``text``."""

    n: int
    chunk_id: str
    source: str
    title: str
    location: str
    text: str
    quote: str
    start: int
    end: int
    supported: bool = True
    # The reader's short answer inside ``quote``: offsets in ``text`` (the chunk's), or None.
    answer_start: int | None = None
    answer_end: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The citation as in ``ask --json`` ``citations``."""
        return asdict(self)


@dataclass
class Answer:
    """An answer with its citations; ``[n]`` markers in ``text`` match ``citations`` exactly."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    language: str = "id"
    llm: str = "extractive"
    timings: dict[str, float] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    question: str = ""
    query: str = ""
    confidence: float | None = None
    short_answer: str | None = None  # the reader's span, verbatim from the first citation's passage
    partial: bool = False  # the source text only raises the topic; a related reading continues it
    fallback: str | None = None  # why the LLM asked for failed (this is then the extractive answer)

    def to_json(self) -> dict[str, Any]:
        """The ``assistant ask --json`` object (the CLI contract in DESIGN.md, plus the README's
        additions), also returned by the web app's ``/ask`` endpoint."""
        return {
            "question": self.question,
            "query": self.query,
            "answer": self.text,
            "abstained": self.abstained,
            "language": self.language,
            "llm": self.llm,
            "short_answer": self.short_answer,
            "partial_answer": self.partial,  # ("partial" names the streamed chunks of /chat)
            "fallback": self.fallback,
            "citations": [c.to_json() for c in self.citations],
            "seconds": round(self.timings.get("total", 0.0), 4),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "notes": self.notes,
            "unsupported": self.unsupported,
            "passages": [p.to_json() for p in self.passages],
        }
