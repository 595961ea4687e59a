"""Ranking metrics over a ranked list of ids and a set of relevant ids (binary relevance).

Used by the retrieval benchmark and the evaluation runner. A query needs at least one relevant
id: metrics are undefined without one (callers leave such queries out, e.g. unanswerable ones).
Repeated ids in a ranking count once, at their first position.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Collection, Iterable, Sequence

import numpy as np


def _top(ranked: Sequence[str], k: int) -> list[str]:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return list(dict.fromkeys(ranked))[:k]


def _check(relevant: Collection[str]) -> None:
    if not relevant:
        raise ValueError("at least one relevant id is needed")


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant ids found in the first ``k`` of ``ranked``."""
    _check(relevant)
    return sum(1 for i in _top(ranked, k) if i in relevant) / len(relevant)


def mrr_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Reciprocal rank of the first relevant id within the first ``k`` (0 when none)."""
    _check(relevant)
    for rank, i in enumerate(_top(ranked, k), 1):
        if i in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` with gain 1 per relevant id."""
    _check(relevant)
    dcg = sum(1.0 / math.log2(rank + 1) for rank, i in enumerate(_top(ranked, k), 1) if i in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def retrieval_metrics(ranked: Sequence[str], relevant: Collection[str]) -> dict[str, float]:
    """Recall@1/5/10, MRR@10 and nDCG@10 of one query, keyed as in benchmark reports."""
    return {
        "recall@1": recall_at_k(ranked, relevant, 1),
        "recall@5": recall_at_k(ranked, relevant, 5),
        "recall@10": recall_at_k(ranked, relevant, 10),
        "mrr@10": mrr_at_k(ranked, relevant, 10),
        "ndcg@10": ndcg_at_k(ranked, relevant, 10),
    }


def mean_metrics(rows: Iterable[dict[str, float]]) -> dict[str, float]:
    """Average per-query metric dicts key by key (empty input gives an empty dict)."""
    rows = list(rows)
    if not rows:
        return {}
    return {key: sum(r[key] for r in rows) / len(rows) for key in rows[0]}


RANK_DEPTH = 10
RECALL_KS = (1, 3, 5, 10)
RETRIEVAL_METRICS = tuple(f"recall@{k}" for k in RECALL_KS) + ("mrr@10", "ndcg@10")
ANSWER_METRICS = (
    "ok_rate",
    "citation_precision",
    "citation_recall",
    "quote_validity",
    "abstention_precision",
    "abstention_recall",
    "abstention_f1",
    "answered_rate",
    "token_f1",
    "exact_match",
    "fallback_rate",
)
LATENCY_METRICS = ("retrieve_p50", "retrieve_p95", "answer_p50", "answer_p95", "total_p50", "total_p95")
COUNT_METRICS = (
    "n",
    "answerable",
    "unanswerable",
    "abstained",
    "partial",
    "errors",
    "fallbacks",
    "tp",
    "fp",
    "fn",
    "tn",
)
METRICS = RETRIEVAL_METRICS + ANSWER_METRICS + LATENCY_METRICS + COUNT_METRICS


def quote_recall_at_k(ranked: Sequence[str], per_quote: Sequence[set[str]], k: int) -> float:
    """Share of quotes with at least one of their relevant ids among the first ``k`` of ``ranked``.

    >>> quote_recall_at_k(["a", "b", "c"], [{"b"}, {"x"}], 2)
    0.5
    """
    if not per_quote:
        raise ValueError("at least one quote is needed")
    top = set(list(dict.fromkeys(ranked))[:k])
    return sum(1 for ids in per_quote if ids & top) / len(per_quote)


def ranking_scores(ranked: Sequence[str], per_quote: Sequence[set[str]]) -> dict[str, float]:
    """Recall@1/3/5/10 (per quote), MRR@10 and nDCG@10 of one ranking.

    A question whose quotes match no chunk at all scores 0 everywhere.
    """
    relevant = set().union(*per_quote) if per_quote else set()
    scores = {f"recall@{k}": quote_recall_at_k(ranked, per_quote, k) for k in RECALL_KS}
    scores["mrr@10"] = mrr_at_k(ranked, relevant, RANK_DEPTH) if relevant else 0.0
    scores["ndcg@10"] = ndcg_at_k(ranked, relevant, RANK_DEPTH) if relevant else 0.0
    return scores


_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "“”‘’«»–—…"})


def answer_tokens(text: str) -> list[str]:
    """Lower-cased word tokens of an answer, without citation markers and punctuation."""
    return _MARKERS.sub(" ", text).casefold().translate(_PUNCT).split()


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 between an answer and a reference answer.

    >>> round(token_f1("the cat sat [1]", "a cat sat down"), 3)
    0.571
    """
    pred, ref = answer_tokens(prediction), answer_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum(min(pred.count(t), ref.count(t)) for t in set(pred) & set(ref))
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, reference: str) -> float:
    """1.0 when the two answers have the same tokens (case, punctuation and markers ignored).

    >>> exact_match("November 2001 [2].", "november 2001")
    1.0
    """
    return float(answer_tokens(prediction) == answer_tokens(reference))


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None when the denominator is 0 (metric undefined)."""
    return numerator / denominator if denominator else None


def abstention_scores(answerable: Sequence[bool], abstained: Sequence[bool]) -> dict[str, float | int | None]:
    """Confusion counts and precision/recall/F1 of abstention (positive: abstained, unanswerable),
    and the share of answerable questions answered (``abstention_recall`` is the share of
    unanswerable ones declined).

    >>> abstention_scores([False, False, True, True], [True, False, True, False])["abstention_f1"]
    0.5
    """
    tp = sum(1 for a, x in zip(answerable, abstained) if not a and x)
    fp = sum(1 for a, x in zip(answerable, abstained) if a and x)
    fn = sum(1 for a, x in zip(answerable, abstained) if not a and not x)
    tn = sum(1 for a, x in zip(answerable, abstained) if a and not x)
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "abstention_precision": precision,
        "abstention_recall": recall,
        "abstention_f1": f1,
        "answered_rate": ratio(tn, tn + fp),
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), None for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None
