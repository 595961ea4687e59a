"""Thresholds (``--min``, ``--thresholds FILE``): ``group:metric >= value`` gates on a summary, and
``group:metric <= value`` ceilings (the file's ``[max]`` table, e.g. ``fallback_rate = 0``: no answer
may come from the extractive fallback of a failing LLM)."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.evaluation.metrics import METRICS


@dataclass(frozen=True)
class Threshold:
    """``group:metric >= value`` (``at_most``: ``<= value``; group ``all`` when not given)."""

    group: str
    metric: str
    value: float
    at_most: bool = False

    @property
    def label(self) -> str:
        return self.metric if self.group == "all" else f"{self.group}:{self.metric}"

    @property
    def need(self) -> str:
        return f"{'<=' if self.at_most else '>='} {self.value:g}"

    def fails(self, value: float) -> bool:
        return value > self.value if self.at_most else value < self.value


def parse_threshold(text: str, at_most: bool = False) -> Threshold:
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
    return Threshold(group.strip() or "all", metric, number, at_most)


def load_thresholds(path: str | Path) -> list[Threshold]:
    """Thresholds from a TOML file with a ``[min]`` and/or a ``[max]`` table of ``"group:metric" = value``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read thresholds {path}: {exc}") from exc
    tables: dict[str, dict] = {name: data[name] for name in ("min", "max") if isinstance(data.get(name), dict)}
    if not tables or any(name in data and name not in tables for name in ("min", "max")):
        raise ValueError(f'{path}: needs a [min] or [max] table of "metric" = value')
    return [
        parse_threshold(f"{key}={value}", at_most=name == "max")
        for name, table in tables.items()
        for key, value in table.items()
    ]


def check_thresholds(summary: dict, thresholds: Sequence[Threshold]) -> list[str]:
    """One message per failed threshold (a missing group or undefined metric fails too)."""
    failures = []
    for t in thresholds:
        group = summary.get("groups", {}).get(t.group)
        if group is None:
            failures.append(f"{t.label}: no group {t.group!r} in this run (need {t.need})")
            continue
        value = group.get(t.metric)
        if value is None:
            failures.append(f"{t.label}: undefined in this run (need {t.need})")
        elif t.fails(value):
            failures.append(f"{t.label} = {value:.4f} {'>' if t.at_most else '<'} {t.value:g}")
    return failures
