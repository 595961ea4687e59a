"""The result of one question: its scores against the gold data, and its verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.evaluation.metrics import exact_match, ranking_scores, token_f1
from assistant.evaluation.relevance import RelevanceJudge
from assistant.evaluation.sets import EvalItem
from assistant.types import Answer, Chunk, Citation, Passage

VERDICTS = ("error", "invalid quote", "should abstain", "unsupported", "false abstention", "ok")


@dataclass
class QuestionResult:
    """Everything measured for one question or conversation turn (one row of ``results.json``)."""

    id: str
    set: str
    question: str
    lang: str
    answerable: bool
    query: str = ""
    conversation: str | None = None
    turn: int | None = None
    gold_quotes: list[str] = field(default_factory=list)
    reference_answer: str | None = None
    retrieved: list[dict] = field(default_factory=list)
    answer: str = ""
    abstained: bool = False
    partial: bool = False
    short_answer: str | None = None
    llm: str = ""
    citations: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    first_relevant_rank: int | None = None
    token_f1: float | None = None
    exact_match: float | None = None
    verdict: str = ""
    error: str | None = None
    fallback: str | None = None  # why the LLM failed when the answer is the extractive fallback

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def declined(self) -> bool:
        """Declined, for the abstention metrics: an abstention, or a partial answer to an unanswerable
        question (it says the source goes no further and quotes the reading that continues it as a
        separate text, which is the right reply to such a question; see evals/README.md)."""
        return self.abstained or (self.partial and not self.answerable)


def verdict(result: QuestionResult) -> str:
    """One word on the outcome; the order of :data:`VERDICTS` runs from worst to best."""
    if result.error:
        return "error"
    if any(not c["quote_valid"] for c in result.citations):
        return "invalid quote"
    if not result.answerable:
        return "ok" if result.declined else "should abstain"
    if result.abstained:
        return "false abstention"
    return "ok" if any(c["relevant"] for c in result.citations) else "unsupported"


def severity(result: QuestionResult | dict) -> tuple:
    """Sort key putting the worst questions first (verdict, then weak retrieval, then low F1)."""
    row = result if isinstance(result, dict) else result.to_json()
    scores = row.get("scores") or {}
    return (
        VERDICTS.index(row["verdict"]) if row["verdict"] in VERDICTS else 0,
        scores.get("recall@10", 1.0),
        scores.get("mrr@10", 1.0),
        row["token_f1"] if row.get("token_f1") is not None else 1.0,
        row["id"],
    )


def passage_row(passage: Passage, relevant: bool) -> dict[str, Any]:
    """A retrieved passage as JSON (:meth:`Passage.to_json`) with ``relevant``."""
    return {**passage.to_json(), "relevant": relevant}


def citation_row(citation, chunks: dict[str, Chunk], judge: RelevanceJudge, quotes: Sequence[str]) -> dict:
    """A citation as JSON, with ``relevant`` and ``quote_valid`` (quote verbatim in the cited chunk)."""
    row = citation.to_json() if isinstance(citation, Citation) else dict(citation)
    chunk = chunks.get(row["chunk_id"])
    text = chunk.text if chunk is not None else row.get("text", "")
    row["quote_valid"] = bool(row.get("quote")) and row["quote"] in text
    row["relevant"] = judge.is_relevant(row["source"], row["start"], row["end"], text, quotes)
    return row


def score_question(
    item: EvalItem, answer: Answer | None, ranking: list[Passage], judge: RelevanceJudge, chunks: dict[str, Chunk]
) -> QuestionResult:
    """Judge one answered (or failed, ``answer=None``) question against its gold data."""
    result = QuestionResult(
        id=item.id,
        set=item.set_name,
        question=item.question,
        lang=item.lang,
        answerable=item.answerable,
        conversation=item.conversation,
        turn=item.turn,
        gold_quotes=list(item.gold_quotes),
        reference_answer=item.reference_answer,
    )
    per_quote = [judge.relevant_ids(q) for q in item.gold_quotes]
    relevant = set().union(*per_quote) if per_quote else set()
    result.retrieved = [passage_row(p, p.chunk.id in relevant) for p in ranking]
    ranks = [row["rank"] for row in result.retrieved if row["relevant"]]
    result.first_relevant_rank = min(ranks) if ranks else None
    if item.answerable:
        result.scores = ranking_scores([p.chunk.id for p in ranking], per_quote)
    if answer is not None:
        result.query, result.answer, result.abstained = answer.query, answer.text, answer.abstained
        result.llm, result.notes = answer.llm, list(answer.notes)
        result.timings = {k: round(v, 4) for k, v in answer.timings.items()}
        result.citations = [citation_row(c, chunks, judge, item.gold_quotes) for c in answer.citations]
        result.partial, result.short_answer = answer.partial, answer.short_answer
        result.fallback = answer.fallback
        if item.reference_answer:  # the short answer when the reader gave one, else the whole reply
            prediction = answer.short_answer if answer.short_answer and not answer.partial else answer.text
            result.token_f1 = token_f1(prediction, item.reference_answer)
            result.exact_match = exact_match(prediction, item.reference_answer)
    return result
