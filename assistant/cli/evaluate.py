"""``assistant eval``: run question sets, print the metric table, write ``results.json`` and
``report.md``, compare with an earlier run and gate on thresholds.

Exit codes: 0 success; 1 a threshold failed (each printed); 2 usage or configuration error;
3 finished, but some questions failed (listed in the report with their error).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import (
    CollectionOpt,
    LlmOpt,
    UsageError,
    emit_json,
    err,
    handle_errors,
    out,
    rich_progress,
    settings_from,
)


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to the ``assistant`` app."""
    app.command("eval")(eval_command)


SetsArg = Annotated[list[Path], typer.Argument(help="Question sets (JSONL), e.g. evals/source.jsonl.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="Output folder (default: evals/reports/<timestamp>/).")]
CompareOpt = Annotated[Optional[Path], typer.Option("--compare", help="results.json of an earlier run.")]
MinOpt = Annotated[
    Optional[list[str]], typer.Option("--min", help="METRIC=VALUE or GROUP:METRIC=VALUE; exit 1 below it.")
]
ThresholdsOpt = Annotated[Optional[Path], typer.Option("--thresholds", help="TOML file with a \\[min] table.")]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N entries of each set.")]
ResultsJsonOpt = Annotated[bool, typer.Option("--json", help="Print results.json (plus files, thresholds) instead.")]


def eval_command(
    sets: SetsArg,
    out: OutOpt = None,
    llm: LlmOpt = None,
    collection: CollectionOpt = None,
    compare_to: CompareOpt = None,
    minimum: MinOpt = None,
    thresholds: ThresholdsOpt = None,
    limit: LimitOpt = None,
    as_json: ResultsJsonOpt = False,
) -> None:
    """Run question sets: retrieval and answer metrics, overall, per set, language and answerability."""
    from assistant.evaluation import report
    from assistant.evaluation.comparison import compare, load_results
    from assistant.evaluation.sets import load_question_sets
    from assistant.evaluation.thresholds import check_thresholds, load_thresholds, parse_threshold

    with handle_errors():
        try:
            question_sets = load_question_sets(sets)
            gates = [parse_threshold(t) for t in minimum or []]
            gates += load_thresholds(thresholds) if thresholds else []
            old = load_results(compare_to) if compare_to else None
        except ValueError as exc:  # SetError is a ValueError
            raise UsageError(str(exc)) from None
        if limit:
            for qs in question_sets:
                qs.cases = qs.cases[:limit]
        run = _run(settings_from(), question_sets, collection, llm)
    comparison = compare(old, run.to_json(), str(compare_to)) if old else None
    failures = check_thresholds(run.summary, gates) if gates else None
    paths = report.write_outputs(run, out or report.default_out_dir(), comparison, failures)
    if as_json:
        data = run.to_json()
        data.update(
            files={"results": str(paths[0]), "report": str(paths[1])},
            comparison=comparison.to_json() if comparison else None,
            thresholds={"failures": failures, "passed": not failures} if failures is not None else None,
        )
        emit_json(data)
    else:
        print_run(run, comparison, failures, paths)
    print_missing_quotes(run.summary, question_sets)
    if failures:
        err.print("[bold red]thresholds failed:[/] " + "; ".join(failures), soft_wrap=True)
        raise typer.Exit(1)
    if run.summary["verdicts"].get("error"):
        raise typer.Exit(3)


def _run(settings, question_sets, collection, llm):
    """Run the sets with a progress bar on stderr (usage errors for an unknown LLM or collection)."""
    from assistant.evaluation.runner import run_sets
    from assistant.llms.registry import check_name
    from assistant.service import Assistant

    assistant = Assistant(settings)
    if llm:
        try:
            check_name(llm)
        except Exception as exc:
            raise UsageError(str(exc)) from None
    assistant.retriever(collection)  # StoreError (exit 2) before any question is asked
    with rich_progress() as progress:
        task = progress.add_task("eval", total=None)

        def on_progress(done: int, total: int, item_id: str) -> None:
            progress.update(task, completed=done, total=total, description=f"eval {item_id}"[:24])

        return run_sets(assistant, question_sets, collection=collection, llm=llm, progress=on_progress)


def print_missing_quotes(summary, question_sets) -> None:
    """On stderr: each gold quote that is not in the collection, with the lines that give it."""
    from assistant.evaluation.sets import quote_places

    places = quote_places(question_sets)
    for quote in summary.get("missing_quotes") or []:
        short = quote if len(quote) <= 80 else quote[:79] + "…"
        for where in places.get(quote, ["?"]):
            err.print(
                f"[yellow]{escape(where)}:[/] gold quote {escape(repr(short))} is not in the readings of "
                f"collection {escape(str(summary.get('collection')))}: copy it verbatim from the reading, or "
                "run the set against the collection it was written for",
                soft_wrap=True,
                highlight=False,
            )


def rich_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=escape(title))
    for i, column in enumerate(header):
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for row in rows:
        table.add_row(*(escape(str(cell)) for cell in row))  # question and reading text is never Rich markup
    return table


def print_run(run, comparison, failures, paths) -> None:
    """Print the metric table, the comparison, threshold results and where the files are."""
    from assistant.evaluation import report

    summary = run.summary
    groups = report.table_groups(summary)
    title = f"evaluation: {', '.join(summary['sets'])} · {summary['llm']} · {summary['collection']}"
    top = [g for g in groups if "/" not in g]
    out.print(rich_table(title, *report.metric_rows(summary, groups=top)))
    splits = [g for g in groups if "/" in g]
    if splits:
        title = "all questions by language and answerability"
        out.print(rich_table(title, *report.metric_rows(summary, groups=splits)))
    out.print(f"verdicts: {summary['verdicts']}")
    if report.fallback_note(summary):
        out.print(report.fallback_note(summary), style="bold yellow", markup=False, highlight=False)
    if summary.get("missing_quotes"):
        out.print(f"[yellow]{len(summary['missing_quotes'])} gold quotes are not in this collection[/]")
    if comparison is not None:
        groups = [g for g in report.table_groups(summary) if "/" not in g]
        out.print(rich_table(f"compared with {comparison.old}", *report.comparison_rows(comparison, groups)))
        out.print(f"{len(comparison.worse)} questions got worse, {len(comparison.better)} got better")
        if comparison.worse:
            header, rows = report.change_rows(comparison.worse)
            out.print(rich_table("got worse (questions in report.md)", header[:-1], [r[:-1] for r in rows]))
    for failure in failures or []:
        out.print(f"[red]FAILED[/] {escape(str(failure))}")
    if failures == []:
        out.print("[green]all thresholds met[/]")
    out.print(f"wrote {paths[0]} and {paths[1]}")
