"""Ranking metrics over a ranked list of ids and a set of relevant ids (binary relevance).

Used by the retrieval benchmark and the evaluation runner. A query needs at least one relevant
id: metrics are undefined without one (callers leave such queries out, e.g. unanswerable ones).
Repeated ids in a ranking count once, at their first position.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence


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
