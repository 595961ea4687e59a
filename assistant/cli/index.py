"""``assistant index`` and ``assistant search``: syncing a collection and retrieval on its own."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import (
    CollectionOpt,
    JsonOpt,
    KnowledgeOpt,
    RichSyncProgress,
    UsageError,
    emit_json,
    err,
    handle_errors,
    out,
    print_sync_report,
    rich_progress,
    settings_from,
)


def index(
    knowledge: KnowledgeOpt = None,
    collection: CollectionOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed every file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Sync the index with the folder: add new files, re-embed changed ones, drop removed ones."""
    from assistant.index.sync import sync_collection

    with handle_errors():
        settings = settings_from()
        with rich_progress() as progress:
            report = sync_collection(settings, collection, knowledge, rebuild, RichSyncProgress(progress))
    if as_json:
        emit_json(report.to_json())
    else:
        print_sync_report(report)
    if report.failed:
        raise typer.Exit(3)


def search(
    query: Annotated[str, typer.Argument(help="The question or keywords.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Number of passages.")] = 5,
    collection: CollectionOpt = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    as_json: JsonOpt = False,
) -> None:
    """Hybrid retrieval only: the passages that best match QUERY."""
    from assistant.answering.questions import check_question
    from assistant.retrieval.retriever import open_retriever

    with handle_errors():
        if mode not in ("hybrid", "dense", "bm25"):
            raise UsageError("--mode must be hybrid, dense or bm25")
        settings = settings_from()
        query, note = check_question(query, settings.max_question_chars)
        if note:
            err.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
        retriever = open_retriever(settings, collection)
        passages = retriever.search(query, k, mode)
    name = retriever.index.name
    if as_json:
        emit_json({"query": query, "collection": name, "results": [p.to_json(scores=True) for p in passages]})
        return
    table = Table(title=escape(f"{query}  ({name})"), show_lines=True)
    for column in ("#", "score", "source", "location", "text"):
        table.add_column(column)
    for p in passages:
        cells = (p.chunk.source, p.chunk.location, p.chunk.text[:300])  # reading text is never Rich markup
        table.add_row(str(p.rank), f"{p.score:.3f}", *(escape(cell) for cell in cells))
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add ``index`` and ``search`` to the ``assistant`` command line."""
    app.command()(index)
    app.command()(search)
