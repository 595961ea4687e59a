"""Fusion helpers: per-query z-scores for the score blend, and the per-reading cap."""

from __future__ import annotations

import numpy as np

from assistant.types import Passage


def zscores(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - values.mean()) / std if std > 1e-9 else np.zeros_like(values)


def diversify(passages: list[Passage], cap: int, window: int) -> list[Passage]:
    """Reorder so that no reading fills more than ``cap`` of the first ``window`` places: a
    passage over the cap yields its place to the next best passage of another reading."""
    first: list[Passage] = []
    rest: list[Passage] = []
    count: dict[str, int] = {}
    for passage in passages:
        source = passage.chunk.source
        if len(first) < window and count.get(source, 0) < cap:
            first.append(passage)
            count[source] = count.get(source, 0) + 1
        else:
            rest.append(passage)
    return first + rest
