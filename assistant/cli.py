"""The ``assistant`` command line: a thin layer over the core functions.

Exit codes: 0 success; 2 usage or configuration error; 3 finished with skipped inputs.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.config import Settings, load_settings, offline_environment

app = typer.Typer(help="Reading assistant: cited answers from your readings.", no_args_is_help=True, add_completion=False)
err = Console(stderr=True)
out = Console()

KnowledgeOpt = Annotated[Optional[Path], typer.Option("--knowledge", help="Folder of readings for the collection.")]
CollectionOpt = Annotated[Optional[str], typer.Option("--collection", "-c", help="Collection name (default: settings).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


class UsageError(Exception):
    """Raised by commands for a usage problem; printed and turned into exit code 2."""


def settings_from(**overrides) -> Settings:
    offline_environment()
    try:
        return load_settings(**overrides)
    except Exception as exc:  # pydantic ValidationError and TOML errors
        raise UsageError(f"invalid settings: {exc}") from exc


@contextmanager
def handle_errors():
    """Turn known errors into a clear message and exit code 2."""
    from assistant.embeddings import EmbedderError
    from assistant.store import StoreError

    try:
        yield
    except (UsageError, EmbedderError, StoreError) as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None


def emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class RichSyncProgress:
    """Shows sync phases as rich progress bars on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = None

    def start(self, phase: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(phase, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def message(self, text: str) -> None:
        self._progress.console.print(f"[yellow]{text}[/]")


def rich_progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    )


@app.command()
def index(
    knowledge: KnowledgeOpt = None,
    collection: CollectionOpt = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed every file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Sync the index with the folder: add new files, re-embed changed ones, drop removed ones."""
    from assistant.indexing import sync_collection

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


def print_sync_report(report) -> None:
    table = Table(title=f"collection {report.collection}")
    for column in ("added", "updated", "removed", "unchanged", "failed", "chunks", "embedded", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(*(str(len(getattr(report, c))) for c in ("added", "updated", "removed", "unchanged", "failed")),
                  str(report.chunks), str(report.embedded), f"{report.seconds:.1f}")
    out.print(table)
    for message in report.messages:
        out.print(f"[yellow]{message}[/]")
    if report.embedded == 0:
        out.print("nothing to embed: every chunk was already in the index or the vector cache")
    for failure in report.failed:
        out.print(f"[red]skipped[/] {failure['path']}: {failure['error']}")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="The question or keywords.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Number of passages.")] = 5,
    collection: CollectionOpt = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    as_json: JsonOpt = False,
) -> None:
    """Hybrid retrieval only: the passages that best match QUERY."""
    from assistant.retrieve import open_retriever

    with handle_errors():
        if mode not in ("hybrid", "dense", "bm25"):
            raise UsageError("--mode must be hybrid, dense or bm25")
        settings = settings_from()
        retriever = open_retriever(settings, collection)
        passages = retriever.search(query, k, mode)
    name = retriever.index.name
    if as_json:
        emit_json({"query": query, "collection": name, "results": [passage_json(p) for p in passages]})
        return
    table = Table(title=f"{query}  ({name})", show_lines=True)
    for column in ("#", "score", "source", "location", "text"):
        table.add_column(column)
    for p in passages:
        table.add_row(str(p.rank), f"{p.score:.3f}", p.chunk.source, p.chunk.location, p.chunk.text[:300])
    out.print(table)


def passage_json(p) -> dict:
    return {
        "rank": p.rank, "chunk_id": p.chunk.id, "source": p.chunk.source, "title": p.chunk.title,
        "location": p.chunk.location, "text": p.chunk.text, "start": p.chunk.start, "end": p.chunk.end,
        "score": round(p.score, 6), "dense_score": p.dense_score, "bm25_score": p.bm25_score,
        "rerank_score": p.rerank_score,
    }


def main() -> None:
    app()


from assistant import cli_answer  # noqa: E402

cli_answer.register(app)

from assistant import cli_library  # noqa: E402

cli_library.register(app)

from assistant import cli_serve  # noqa: E402

cli_serve.register(app)

from assistant import cli_eval  # noqa: E402

cli_eval.register(app)
