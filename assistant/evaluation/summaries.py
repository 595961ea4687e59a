"""Summaries: questions pooled into groups (``all``, each set, and each of those split ``/id``,
``/en``, ``/answerable``, ``/unanswerable``) with every metric of each group."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from assistant.evaluation.metrics import RETRIEVAL_METRICS, abstention_scores, percentile, ratio
from assistant.evaluation.results import VERDICTS, QuestionResult
from assistant.text.language import LANGUAGES


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def group_metrics(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """Every metric of :data:`METRICS` over a group of question results."""
    answerable = [r for r in results if r.answerable]
    answered = [r for r in answerable if not r.error]
    cited = [c for r in answered for c in r.citations]
    all_cites = [c for r in results for c in r.citations]
    ran = [r for r in results if not r.error]
    metrics: dict[str, Any] = {k: _mean(r.scores.get(k) for r in answerable) for k in RETRIEVAL_METRICS}
    metrics.update(
        ok_rate=ratio(sum(r.verdict == "ok" for r in results), len(results)),
        citation_precision=ratio(sum(c["relevant"] for c in cited), len(cited)),
        citation_recall=ratio(sum(any(c["relevant"] for c in r.citations) for r in answerable), len(answerable)),
        quote_validity=ratio(sum(c["quote_valid"] for c in all_cites), len(all_cites)),
        token_f1=_mean(r.token_f1 for r in answerable),
        exact_match=_mean(r.exact_match for r in answerable),
        fallback_rate=ratio(sum(bool(r.fallback) for r in ran), len(ran)),
    )
    metrics.update(abstention_scores([r.answerable for r in ran], [r.declined for r in ran]))
    for stage in ("retrieve", "answer", "total"):
        values = [r.timings[stage] for r in ran if stage in r.timings]
        metrics[f"{stage}_p50"], metrics[f"{stage}_p95"] = percentile(values, 50), percentile(values, 95)
    metrics.update(
        n=len(results),
        answerable=len(answerable),
        unanswerable=len(results) - len(answerable),
        abstained=sum(r.abstained for r in ran),
        partial=sum(r.partial for r in ran),
        errors=len(results) - len(ran),
        fallbacks=sum(bool(r.fallback) for r in ran),
    )
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}


def group_names(set_names: Sequence[str]) -> list[str]:
    """``all`` and each set, each followed by its language and answerability splits."""
    names = []
    for base in ("all", *set_names):
        names += [base, *(f"{base}/{lang}" for lang in LANGUAGES), f"{base}/answerable", f"{base}/unanswerable"]
    return names


def in_group(result: QuestionResult, group: str) -> bool:
    base, _, part = group.partition("/")
    if base != "all" and result.set != base:
        return False
    if part in LANGUAGES:
        return result.lang == part
    if part in ("answerable", "unanswerable"):
        return result.answerable == (part == "answerable")
    return True


def summarize(results: Sequence[QuestionResult], set_names: Sequence[str], context: dict | None = None) -> dict:
    """The ``summary`` of ``results.json``: ``context`` plus ``groups`` (name to metrics).

    Empty groups (say, ``conversations/unanswerable`` with no such turn) are left out.
    """
    groups = {}
    for name in group_names(set_names):
        members = [r for r in results if in_group(r, name)]
        if members:
            groups[name] = group_metrics(members)
    verdicts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    return {**(context or {}), "verdicts": verdicts, "fallbacks": fallback_summary(results), "groups": groups}


def fallback_summary(results: Sequence[QuestionResult], reasons: int = 3) -> dict[str, Any]:
    """How many answers came from the extractive fallback because the LLM failed, their share of
    the questions that ran, and the most frequent reasons (with their counts)."""
    ran = [r for r in results if not r.error]
    fell = [r.fallback for r in ran if r.fallback]
    counts: dict[str, int] = {}
    for reason in fell:
        counts[reason] = counts.get(reason, 0) + 1
    top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:reasons]
    return {"count": len(fell), "of": len(ran), "rate": ratio(len(fell), len(ran)), "reasons": dict(top)}
