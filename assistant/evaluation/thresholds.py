"""Thresholds (``--min``, ``--thresholds FILE``): ``group:metric >= value`` gates on a summary."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.metrics import METRICS


@dataclass(frozen=True)
class Threshold:
    """``group:metric >= value`` (group ``all`` when not given)."""

    group: str
    metric: str
    value: float

    @property
    def label(self) -> str:
        return self.metric if self.group == "all" else f"{self.group}:{self.metric}"


def parse_threshold(text: str) -> Threshold:
    """Parse ``METRIC=VALUE`` or ``GROUP:METRIC=VALUE`` (e.g. ``source/en:recall@5=0.9``).

    Raises
    ------
    ValueError
        For a malformed text or an unknown metric name.
    """
    key, sep, value = text.partition("=")
    group, _, metric = key.strip().rpartition(":")
    metric = metric.strip().lower()
    if not sep or not metric:
        raise ValueError(f"threshold {text!r} is not METRIC=VALUE")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} in {text!r}; known: {', '.join(METRICS)}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"threshold {text!r}: {value!r} is not a number") from None
    return Threshold(group.strip() or "all", metric, number)


def load_thresholds(path: str | Path) -> list[Threshold]:
    """Thresholds from a TOML file with a ``[min]`` table of ``"group:metric" = value``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read thresholds {path}: {exc}") from exc
    table = data.get("min")
    if not isinstance(table, dict):
        raise ValueError(f'{path}: needs a [min] table of "metric" = value')
    return [parse_threshold(f"{key}={value}") for key, value in table.items()]


def check_thresholds(summary: dict, thresholds: Sequence[Threshold]) -> list[str]:
    """One message per failed threshold (a missing group or undefined metric fails too)."""
    failures = []
    for t in thresholds:
        group = summary.get("groups", {}).get(t.group)
        if group is None:
            failures.append(f"{t.label}: no group {t.group!r} in this run (need >= {t.value:g})")
            continue
        value = group.get(t.metric)
        if value is None:
            failures.append(f"{t.label}: undefined in this run (need >= {t.value:g})")
        elif value < t.value:
            failures.append(f"{t.label} = {value:.4f} < {t.value:g}")
    return failures
