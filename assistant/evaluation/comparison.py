"""Comparison with an earlier run: metric deltas and the questions that got worse or better."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.results import VERDICTS


@dataclass
class Comparison:
    """Metric deltas (new minus old) per group, and the questions that got worse."""

    deltas: dict[str, dict[str, dict[str, float | None]]]
    worse: list[dict[str, Any]]
    better: list[dict[str, Any]]
    old: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_results(path: str | Path) -> dict:
    """A ``results.json`` written by an earlier run (``ValueError`` when it is not one)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read results {path}: {exc}") from exc
    if not isinstance(data, dict) or "summary" not in data or "questions" not in data:
        raise ValueError(f"{path} is not a results.json of `assistant eval`")
    return data


def _change(old: dict, new: dict) -> int:
    """-1 when a question got worse, 1 when better, 0 otherwise (verdict first, then MRR@10)."""
    a, b = VERDICTS.index(old["verdict"]), VERDICTS.index(new["verdict"])
    if a != b:
        return 1 if b > a else -1
    mrr_old, mrr_new = (old.get("scores") or {}).get("mrr@10"), (new.get("scores") or {}).get("mrr@10")
    if mrr_old is not None and mrr_new is not None and abs(mrr_new - mrr_old) > 1e-9:
        return 1 if mrr_new > mrr_old else -1
    return 0


def _change_row(old: dict, new: dict) -> dict[str, Any]:
    return {
        "id": new["id"],
        "set": new["set"],
        "question": new["question"],
        "old_verdict": old["verdict"],
        "new_verdict": new["verdict"],
        "old_rank": old.get("first_relevant_rank"),
        "new_rank": new.get("first_relevant_rank"),
        "old_answer": old.get("answer", ""),
        "new_answer": new.get("answer", ""),
    }


def compare(old: dict, new: dict, old_label: str = "") -> Comparison:
    """Compare two runs (``results.json`` dicts): deltas for shared groups and metrics, and the
    questions present in both whose verdict or MRR@10 changed."""
    deltas: dict[str, dict[str, dict[str, float | None]]] = {}
    old_groups, new_groups = old["summary"].get("groups", {}), new["summary"].get("groups", {})
    for group, metrics in new_groups.items():
        if group not in old_groups:
            continue
        deltas[group] = {}
        for metric, value in metrics.items():
            before = old_groups[group].get(metric)
            delta = None if value is None or before is None else round(value - before, 4)
            deltas[group][metric] = {"old": before, "new": value, "delta": delta}
    previous = {q["id"]: q for q in old["questions"]}
    worse: list[dict[str, Any]] = []
    better: list[dict[str, Any]] = []
    for q in new["questions"]:
        if q["id"] in previous:
            change = _change(previous[q["id"]], q)
            if change:
                (worse if change < 0 else better).append(_change_row(previous[q["id"]], q))
    return Comparison(deltas, worse, better, old_label)
