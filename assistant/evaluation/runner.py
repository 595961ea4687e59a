"""Running question sets: every question is asked through
:class:`~assistant.service.Assistant` exactly as a user would (the answer uses the normal
``top_k``), and a separate top-10 retrieval of the same query is scored for the ranking metrics.

The pieces: :mod:`~assistant.evaluation.sets` (question sets), :mod:`~assistant.evaluation.relevance`
(which passages are relevant), :mod:`~assistant.evaluation.metrics`, :mod:`~assistant.evaluation.results`
(one question's scores and verdict), :mod:`~assistant.evaluation.summaries` (groups),
:mod:`~assistant.evaluation.thresholds`, :mod:`~assistant.evaluation.comparison` and
:mod:`~assistant.evaluation.report`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.evaluation.metrics import RANK_DEPTH
from assistant.evaluation.relevance import RelevanceJudge
from assistant.evaluation.results import QuestionResult, score_question, verdict
from assistant.evaluation.sets import EvalItem, QuestionSet
from assistant.evaluation.summaries import summarize
from assistant.redaction import redact_for
from assistant.types import Answer, Chunk, Passage

Progress = Callable[[int, int, str], None]


@dataclass
class EvalRun:
    """The outcome of a run: per-question results and the summary of ``results.json``."""

    results: list[QuestionResult]
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "questions": [r.to_json() for r in self.results]}


def ask_item(
    assistant, item: EvalItem, history: list[tuple[str, str]], collection: str | None, llm: str | None
) -> tuple[Answer | None, list[Passage], str | None, float]:
    """Ask one question as a user would, then retrieve the top 10 of the same query for ranking."""
    started = time.perf_counter()
    try:
        answer = assistant.ask(item.question, collection=collection, llm=llm, history=history or None)
    except Exception as exc:  # one failing question is recorded, not fatal to the run
        error = redact_for(assistant.settings, f"{type(exc).__name__}: {exc}")[:500]
        return None, [], error, time.perf_counter() - started
    seconds = time.perf_counter() - started
    ranking = assistant.retriever(collection).search(answer.query or item.question, RANK_DEPTH)
    return answer, ranking, None, seconds


def run_case(
    assistant,
    case: list[EvalItem],
    judge: RelevanceJudge,
    chunks: dict[str, Chunk],
    collection: str | None,
    llm: str | None,
    step: Callable[[str], None],
) -> list[QuestionResult]:
    """Ask the turns of one case in order, each with the earlier turns as history."""
    history: list[tuple[str, str]] = []
    results = []
    for item in case:
        answer, ranking, error, seconds = ask_item(assistant, item, history, collection, llm)
        result = score_question(item, answer, ranking, judge, chunks)
        result.error, result.seconds = error, round(seconds, 4)
        result.verdict = verdict(result)
        results.append(result)
        history.append((item.question, answer.text if answer else ""))
        step(item.id)
    return results


def run_sets(
    assistant,
    sets: Sequence[QuestionSet],
    *,
    collection: str | None = None,
    llm: str | None = None,
    progress: Progress | None = None,
) -> EvalRun:
    """Run question sets through ``assistant`` and summarise them.

    Parameters
    ----------
    assistant : assistant.service.Assistant
        The service; ``ask`` answers, ``retriever(collection).search`` gives the top-10 ranking.
    sets : sequence of QuestionSet
        From :func:`load_question_sets`.
    collection, llm : str, optional
        As for ``Assistant.ask`` (default: the settings').
    progress : callable, optional
        Called as ``progress(done, total, item_id)`` after each question (and once with 0 first).

    Returns
    -------
    EvalRun
    """
    started = time.perf_counter()
    index = assistant.retriever(collection).index
    judge = RelevanceJudge(index.chunks.values())
    total = sum(len(qs.items) for qs in sets)
    done = 0

    def step(item_id: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, item_id)

    if progress:
        progress(0, total, "")
    results = [
        r
        for qs in sets
        for case in qs.cases
        for r in run_case(assistant, case, judge, index.chunks, collection, llm, step)
    ]
    quotes = [q for qs in sets for item in qs.items for q in item.gold_quotes]
    context = run_context(assistant, index, sets, llm, judge.missing(dict.fromkeys(quotes)))
    context["seconds"] = round(time.perf_counter() - started, 1)
    return EvalRun(results, summarize(results, [qs.name for qs in sets], context))


def run_context(assistant, index, sets: Sequence[QuestionSet], llm: str | None, missing: list[str]) -> dict:
    """What a run was made with: sets, collection, embedder, chunking and answer settings."""
    settings = assistant.settings
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sets": {qs.name: {"path": str(qs.path), "questions": len(qs.items)} for qs in sets},
        "collection": index.name,
        "llm": llm or settings.llm,
        "settings": {
            "embedder": index.manifest.get("embedder"),
            "chunking": index.manifest.get("chunking"),
            "chunks": len(index.chunks),
            "top_k": settings.top_k,
            "candidates": settings.candidates,
            "dense_weight": settings.dense_weight,
            "rerank_model": settings.rerank_model,
            "abstain_threshold": settings.abstain_threshold,
        },
        "missing_quotes": missing,
    }
