"""The Evaluate tab: run question sets against the selected collection and answerer.

Presentation only: runs go through :func:`assistant.evaluation.runner.run_sets` and the files are
written by :func:`assistant.evaluation.report.write_outputs` into a folder of the data folder
(``settings.eval_runs_dir``, one per run, which the app may serve). The sets offered are the
``*.jsonl`` files of ``settings.evals_dir`` (``ASSISTANT_EVALS_DIR``, default ``evals``). The tab
shows the metric table, a bar chart of the main metrics per set, the questions worst first, and
one question's details at a time; ``results.json`` and ``report.md`` can be downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from markupsafe import Markup

from assistant.evaluation import report
from assistant.evaluation.results import severity
from assistant.evaluation.runner import run_sets
from assistant.evaluation.sets import load_question_sets
from assistant.ui.api import UserError, offered_llm
from assistant.ui.context import ANSWER_QUEUE

CHART_METRICS = (
    "recall@5",
    "mrr@10",
    "ndcg@10",
    "citation_precision",
    "citation_recall",
    "abstention_f1",
    "ok_rate",
    "token_f1",
)
QUESTION_COLUMNS = ["id", "set", "lang", "answerable", "verdict", "rank", "question", "cited passage", "answer"]


def available_sets(folder: Path) -> list[str]:
    """Question-set files offered in the picker (paths of the ``*.jsonl`` in ``folder``)."""
    return [str(p) for p in sorted(folder.glob("*.jsonl"))] if folder.is_dir() else []


def chart_frame(summary: dict) -> pd.DataFrame:
    """Long table of the main metrics per set for ``gr.BarPlot`` (one bar per metric and set)."""
    groups = summary.get("groups", {})
    rows = []
    for metric in CHART_METRICS:
        for name in summary.get("sets", {}):
            value = groups.get(name, {}).get(metric)
            if value is not None:
                rows.append({"bar": f"{metric} · {name}", "metric": metric, "set": name, "value": float(value)})
    return pd.DataFrame(rows, columns=["bar", "metric", "set", "value"])


def metric_frame(summary: dict) -> pd.DataFrame:
    """The metric table (metrics as rows, groups as columns) as strings."""
    header, rows = report.metric_rows(summary)
    return pd.DataFrame(rows, columns=header)


def question_frame(questions: list[dict]) -> pd.DataFrame:
    header, rows = report.question_rows(questions, width=200)
    return pd.DataFrame(rows, columns=header)


def _citation_lines(question: dict) -> list[str]:
    line = Markup("{}. `{}` {} ({}): <mark>{}</mark>")
    lines: list[str] = []
    for c in question.get("citations", []):
        flags = "relevant" if c["relevant"] else "not relevant"
        flags += "" if c["quote_valid"] else ", QUOTE NOT IN PASSAGE"
        lines.append(line.format(c["n"], c["source"], c.get("location") or "", flags, c["quote"]))
    return lines or ["none"]


def details_markdown(question: dict | None) -> str:
    """Everything about one question: verdict, answer, citations, gold data and the top-10 ranking
    (Markdown; every value from the run is escaped by ``Markup.format``)."""
    if not question:
        return "Pick a question to see its details."
    scores = ", ".join(f"{k} {v:.2f}" for k, v in (question.get("scores") or {}).items())
    timings = ", ".join(f"{k} {v:.2f} s" for k, v in (question.get("timings") or {}).items())
    kind = "answerable" if question["answerable"] else "unanswerable"
    answer = question.get("answer") or question.get("error") or ""
    parts = [
        Markup("### {} · {}").format(question["id"], question["verdict"]),
        Markup("**Question:** {}").format(question["question"]),
        Markup("**Query used:** {}").format(question.get("query") or ""),
        Markup("set {} · {} · {} · first relevant rank {} · {} · {}").format(
            question["set"], question["lang"], kind, question.get("first_relevant_rank") or "–", scores, timings
        ),
        Markup("**Answer** ({}):\n\n{}").format(question.get("llm") or "", answer),
        "**Citations:**",
        *_citation_lines(question),
    ]
    if question.get("gold_quotes"):
        parts += ["**Gold quotes:**", *[Markup("- {}").format(q) for q in question["gold_quotes"]]]
    if question.get("reference_answer"):
        f1 = question.get("token_f1") or 0.0
        parts.append(Markup("**Reference answer:** {} (token F1 {:.2f})").format(question["reference_answer"], f1))
    parts.append("**Top 10 retrieved:**")
    ranked = Markup("{}. {} `{}` score {:.3f}: {}")
    parts += [
        ranked.format(
            p["rank"], "✅" if p["relevant"] else "·", p["source"], p["score"], report.shorten(p["text"], 220)
        )
        for p in question.get("retrieved", [])
    ]
    return Markup("\n\n").join(parts)


def run_evaluation(
    assistant, paths: list[str], collection: str | None, llm: str | None, limit: int, progress=None
) -> dict[str, Any]:
    """Run the chosen sets and write the files (a new folder of ``settings.eval_runs_dir``);
    returns ``results.json`` data plus ``files``."""
    sets = load_question_sets(paths)
    if limit:
        for qs in sets:
            qs.cases = qs.cases[:limit]

    def step(done: int, total: int, item_id: str) -> None:
        if progress is not None:
            progress((done, total), desc=f"{done}/{total} {item_id}")

    run = run_sets(assistant, sets, collection=collection or None, llm=llm or None, progress=step)
    files = report.write_outputs(run, report.default_out_dir(assistant.settings.eval_runs_dir))
    return {**run.to_json(), "files": [str(f) for f in files]}


def _status(data: dict) -> str:
    summary = data["summary"]
    groups = summary["groups"]["all"]
    note = report.fallback_note(summary)
    verdicts = ", ".join(f"{k} {v}" for k, v in summary["verdicts"].items() if v)
    ran = Markup("Ran {} questions of {} with **{}** on **{}** in {} s. Verdicts: {}").format(
        groups["n"], ", ".join(summary["sets"]), summary["llm"], summary["collection"], summary["seconds"], verdicts
    )
    return Markup("⚠️ **{}.** ").format(note) + ran if note else ran


def build(ctx) -> None:
    """The Evaluate tab (``ctx`` is the app's :class:`~assistant.ui.UIContext`)."""
    gr.Markdown(
        "Run question sets against the readings and the answerer selected above. Retrieval is scored on "
        "the top 10 passages; answers use the normal number of passages. See docs/benchmarks.md."
    )
    with gr.Row(equal_height=True):
        choices = available_sets(ctx.settings.evals_dir)
        default = [c for c in choices if Path(c).name == "source.jsonl"] or choices[:1]
        sets = gr.Dropdown(
            [(Path(c).name, c) for c in choices],
            value=default,
            multiselect=True,
            label="Question sets",
            scale=4,
            elem_id="eval-sets",
        )
        limit = gr.Number(
            0, precision=0, minimum=0, label="First N entries per set (0 = all)", scale=1, elem_id="eval-limit"
        )
        run = gr.Button("Run evaluation", variant="primary", scale=1, elem_id="eval-run")
    status = gr.Markdown(elem_id="eval-status")
    metrics = gr.Dataframe(label="Metrics", interactive=False, elem_id="eval-metrics", wrap=True)
    chart = gr.BarPlot(
        x="bar",
        y="value",
        color="set",
        y_lim=[0, 1],
        x_label_angle=-40,
        sort=None,
        label="Main metrics per set",
        elem_id="eval-chart",
    )
    questions = gr.Dataframe(
        label="Questions (worst first; select a row for details)",
        interactive=False,
        elem_id="eval-questions",
        wrap=True,
        max_height=420,
    )
    pick = gr.Dropdown([], label="Question details", elem_id="eval-pick")
    details = gr.Markdown(elem_id="eval-details")
    files = gr.File(label="results.json and report.md", file_count="multiple", elem_id="eval-files")
    state = gr.State(None)
    _wire(ctx, sets, limit, run, status, metrics, chart, questions, pick, details, files, state)


def _wire(ctx, sets, limit, run, status, metrics, chart, questions, pick, details, files, state) -> None:
    def on_run(paths, n, collection, llm, progress=gr.Progress()):
        if not paths:
            raise gr.Error("Pick at least one question set.")
        try:
            llm = offered_llm(ctx.assistant, llm)
            data = run_evaluation(ctx.assistant, list(paths), collection, llm, int(n or 0), progress)
        except (ValueError, UserError) as exc:  # a broken set, an answerer the server does not offer
            raise gr.Error(str(exc)) from None
        ordered = sorted(data["questions"], key=severity)
        ids = [q["id"] for q in ordered]
        return (
            data,
            _status(data),
            metric_frame(data["summary"]),
            chart_frame(data["summary"]),
            question_frame(data["questions"]),
            gr.Dropdown(choices=ids, value=ids[0] if ids else None),
            data["files"],
        )

    def on_pick(qid, data):
        found = [q for q in (data or {}).get("questions", []) if q["id"] == qid]
        return details_markdown(found[0] if found else None)

    def on_select(evt: gr.SelectData, table):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return table.iloc[row, 0] if table is not None and 0 <= row < len(table) else gr.skip()

    run.click(
        on_run,
        [sets, limit, ctx.collection, ctx.llm],
        [state, status, metrics, chart, questions, pick, files],
        concurrency_id=ANSWER_QUEUE,
        api_visibility="private",
    )
    pick.change(on_pick, [pick, state], details, api_visibility="private", queue=False)
    questions.select(on_select, questions, pick, api_visibility="private", queue=False)
