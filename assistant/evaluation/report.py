"""Reports of an evaluation run: metric tables, ``report.md``, ``results.json`` and the default
output folder. Plain text only; the CLI and the web app render these rows their own way."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.evaluation.comparison import Comparison
from assistant.evaluation.metrics import ANSWER_METRICS, LATENCY_METRICS, RETRIEVAL_METRICS
from assistant.evaluation.results import severity
from assistant.evaluation.runner import EvalRun

MAIN_METRICS = (
    RETRIEVAL_METRICS
    + ANSWER_METRICS
    + LATENCY_METRICS
    + ("n", "answerable", "unanswerable", "abstained", "errors", "fallbacks")
)
SPLIT_METRICS = (
    "n",
    "recall@1",
    "recall@5",
    "mrr@10",
    "ndcg@10",
    "ok_rate",
    "citation_precision",
    "citation_recall",
    "abstention_f1",
    "token_f1",
)
METRIC_HELP = {
    "recall@k": "share of gold quotes with a relevant passage in the top k (answerable questions)",
    "mrr@10": "mean reciprocal rank of the first relevant passage",
    "ndcg@10": "binary nDCG over the relevant chunks of the collection",
    "ok_rate": "share of questions with verdict ok (answered with a relevant citation, or rightly abstained)",
    "citation_precision": "share of citations (answerable questions) whose passage is relevant",
    "citation_recall": "share of answerable questions with at least one relevant citation",
    "quote_validity": "share of citation quotes found verbatim in their chunk (must be 1)",
    "abstention_*": "positive class = abstained on an unanswerable question (abstention_recall = share declined)",
    "answered_rate": "share of answerable questions answered (not abstained)",
    "token_f1": "token F1 of the answer against reference_answer (answerable questions that have one)",
    "fallback_rate": "share of questions answered by the extractive fallback because the LLM failed",
    "*_p50 / *_p95": "latency percentiles in seconds per stage",
}


def default_out_dir(root: Path = Path("evals/reports")) -> Path:
    """``evals/reports/<timestamp>/`` (a suffix is added when that folder already exists)."""
    base = root / time.strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def fmt(metric: str, value: Any) -> str:
    """A metric value for display: counts as integers, latencies in seconds, others to 3 places."""
    if value is None:
        return "–"
    if metric.endswith(("_p50", "_p95")):
        return f"{value:.2f} s"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.3f}"


def fmt_delta(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    unit = " s" if metric.endswith(("_p50", "_p95")) else ""
    return f"{value:+.3f}{unit}" if value else f"0{unit}"


def table_groups(summary: dict) -> list[str]:
    """Columns of the main table: ``all``, each set, then the language/answerability splits of all."""
    groups = summary.get("groups", {})
    names = ["all", *summary.get("sets", {})]
    names += [f"all/{part}" for part in ("id", "en", "answerable", "unanswerable")]
    return [n for n in dict.fromkeys(names) if n in groups]


def metric_rows(
    summary: dict, metrics: Sequence[str] = MAIN_METRICS, groups: Sequence[str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a metric-by-group table (metrics as rows)."""
    groups = list(groups or table_groups(summary))
    data = summary.get("groups", {})
    rows = [[m, *(fmt(m, data[g].get(m)) for g in groups)] for m in metrics]
    return ["metric", *groups], rows


def split_rows(summary: dict, metrics: Sequence[str] = SPLIT_METRICS) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a group-by-metric table covering every group (sets and their splits)."""
    rows = [[g, *(fmt(m, values.get(m)) for m in metrics)] for g, values in summary.get("groups", {}).items()]
    return ["group", *metrics], rows


def cited_passage(row: dict, width: int = 160) -> str:
    """``[n] source: quote`` of the first citation of a question (empty when none)."""
    if not row.get("citations"):
        return ""
    c = row["citations"][0]
    return shorten(f"[{c['n']}] {c['source']}: {c['quote']}", width)


def shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def question_rows(questions: Sequence[dict], width: int = 120) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-question table, worst first."""
    header = ["id", "set", "lang", "answerable", "verdict", "rank", "question", "cited passage", "answer"]
    rows = []
    for q in sorted(questions, key=severity):
        rank = q.get("first_relevant_rank")
        rows.append(
            [
                q["id"],
                q["set"],
                q["lang"],
                "yes" if q["answerable"] else "no",
                q["verdict"],
                "–" if rank is None else str(rank),
                shorten(q["question"], width),
                cited_passage(q, width),
                shorten(q.get("answer") or q.get("error") or "", width),
            ]
        )
    return header, rows


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def comparison_rows(comparison: Comparison, groups: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of metric deltas (new minus old) for the given groups."""
    groups = [g for g in groups if g in comparison.deltas]
    header = ["metric", *(f"{g} (new, Δ)" for g in groups)]
    rows = []
    for metric in MAIN_METRICS:
        cells = []
        for g in groups:
            d = comparison.deltas[g].get(metric, {})
            cells.append(f"{fmt(metric, d.get('new'))} ({fmt_delta(metric, d.get('delta'))})")
        rows.append([metric, *cells])
    return header, rows


def change_rows(changes: Sequence[dict], width: int = 100) -> tuple[list[str], list[list[str]]]:
    header = ["id", "set", "old verdict", "new verdict", "old rank", "new rank", "question"]
    rows = [
        [
            c["id"],
            c["set"],
            c["old_verdict"],
            c["new_verdict"],
            str(c["old_rank"] or "–"),
            str(c["new_rank"] or "–"),
            shorten(c["question"], width),
        ]
        for c in changes
    ]
    return header, rows


def _context_lines(summary: dict) -> list[str]:
    settings = summary.get("settings", {})
    sets = ", ".join(f"{name} ({info['questions']})" for name, info in summary.get("sets", {}).items())
    lines = [
        f"- sets: {sets}",
        f"- collection: {summary.get('collection')} ({settings.get('chunks')} chunks), "
        f"embedder {settings.get('embedder')}, chunking {settings.get('chunking')}",
        f"- answerer: {summary.get('llm')}; top_k {settings.get('top_k')}, candidates "
        f"{settings.get('candidates')}, dense_weight {settings.get('dense_weight')}, rerank "
        f"{settings.get('rerank_model')}, abstain_threshold {settings.get('abstain_threshold')}",
        f"- run: {summary.get('created')}, {summary.get('seconds')} s; verdicts {summary.get('verdicts')}",
    ]
    note = fallback_note(summary)
    if note:
        lines.append(f"- **{note}**")
    if summary.get("missing_quotes"):
        missing = summary["missing_quotes"]
        lines.append(
            f"- **{len(missing)} gold quotes are not in this collection** (their questions cannot be "
            "found): " + "; ".join(shorten(q, 60) for q in missing[:5])
        )
    return lines


def fallback_note(summary: dict) -> str:
    """``"N of M answers came from the extractive fallback (the LLM failed: reason)"``, or empty."""
    fallbacks = summary.get("fallbacks") or {}
    if not fallbacks.get("count"):
        return ""
    reasons = "; ".join(f"{shorten(reason, 120)} ×{n}" for reason, n in fallbacks.get("reasons", {}).items())
    return (
        f"{fallbacks['count']} of {fallbacks['of']} answers came from the extractive fallback, not from "
        f"{summary.get('llm')} (the LLM failed: {reasons})"
    )


def render_markdown(
    run: EvalRun | dict, comparison: Comparison | None = None, failures: Sequence[str] | None = None
) -> str:
    """``report.md``: context, metric tables, comparison, gate result and questions worst first."""
    data = run.to_json() if isinstance(run, EvalRun) else run
    summary, questions = data["summary"], data["questions"]
    parts = [
        "# Evaluation report",
        "",
        *_context_lines(summary),
        "",
        "## Metrics",
        "",
        markdown_table(*metric_rows(summary)),
        "",
        "## By set, language and answerability",
        "",
        markdown_table(*split_rows(summary)),
        "",
    ]
    if failures is not None:
        parts += ["## Thresholds", "", *([f"- FAILED {f}" for f in failures] or ["- all thresholds met"]), ""]
    if comparison is not None:
        parts += [
            f"## Compared with {comparison.old}",
            "",
            markdown_table(*comparison_rows(comparison, table_groups(summary))),
            "",
            f"### Questions that got worse ({len(comparison.worse)}; {len(comparison.better)} got better)",
            "",
            markdown_table(*change_rows(comparison.worse)) if comparison.worse else "none",
            "",
        ]
    parts += [
        "## Questions (worst first)",
        "",
        markdown_table(*question_rows(questions)),
        "",
        "## Metric definitions",
        "",
        *[f"- `{k}`: {v}" for k, v in METRIC_HELP.items()],
        "",
    ]
    return "\n".join(parts)


def write_outputs(
    run: EvalRun, out_dir: Path, comparison: Comparison | None = None, failures: Sequence[str] | None = None
) -> tuple[Path, Path]:
    """Write ``results.json`` and ``report.md`` into ``out_dir`` (created); returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data = run.to_json()
    if comparison is not None:
        data["comparison"] = comparison.to_json()
    if failures is not None:
        data["thresholds"] = {"failures": list(failures), "passed": not failures}
    results, report = out_dir / "results.json", out_dir / "report.md"
    results.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    report.write_text(render_markdown(data, comparison, failures), encoding="utf-8")
    return results, report
