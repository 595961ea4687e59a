"""What every command shares: consoles, option types, settings, error handling, JSON output and
the sync progress bar."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.answering.questions import MAX_K, QuestionError
from assistant.errors import AssistantError, EmbedderError, StoreError
from assistant.index.progress import SyncProgress
from assistant.logs import log_to_file

if TYPE_CHECKING:  # pydantic-settings is imported by the commands that load settings, not by --help
    from assistant.config import Settings

err = Console(stderr=True)
out = Console()
KnowledgeOpt = Annotated[Optional[Path], typer.Option("--knowledge", help="Folder of readings for the collection.")]
CollectionOpt = Annotated[
    Optional[str], typer.Option("--collection", "-c", help="Collection name (default: settings).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
LlmOpt = Annotated[
    Optional[str], typer.Option("--llm", help="extractive (default), hf:<model>, ollama:<model>, openai:<model>.")
]
KOpt = Annotated[Optional[int], typer.Option("-k", min=1, max=MAX_K, help="Passages given to the answerer.")]


class UsageError(AssistantError):
    """Raised by commands for a usage problem; printed and turned into exit code 2."""


def settings_from(**overrides) -> Settings:
    from assistant.config import load_settings, offline_environment

    offline_environment()
    try:
        settings = load_settings(**overrides)
    except Exception as exc:  # pydantic ValidationError and TOML errors
        raise UsageError(f"invalid settings: {exc}") from exc
    try:
        log_to_file(settings)
    except OSError as exc:  # an unwritable data folder is reported by the command that needs it
        err.print(f"[yellow]note:[/] no log file ({exc})", highlight=False)
    return settings


@contextmanager
def handle_errors():
    """Turn known errors into a clear message and exit code 2."""
    try:
        yield
    except (UsageError, EmbedderError, StoreError, QuestionError) as exc:
        err.print("[bold red]error:[/]", escape(str(exc)), soft_wrap=True)
        raise typer.Exit(2) from None


def emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class RichSyncProgress(SyncProgress):
    """Shows sync phases as rich progress bars on stderr."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, phase: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(phase, total=total)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def message(self, text: str) -> None:
        self._progress.console.print(f"[yellow]{escape(text)}[/]")


def rich_progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def print_sync_report(report) -> None:
    table = Table(title=f"collection {report.collection}")
    for column in ("added", "updated", "removed", "unchanged", "failed", "chunks", "embedded", "seconds"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(len(getattr(report, c))) for c in ("added", "updated", "removed", "unchanged", "failed")),
        str(report.chunks),
        str(report.embedded),
        f"{report.seconds:.1f}",
    )
    out.print(table)
    for message in report.messages:
        out.print(f"[yellow]{escape(message)}[/]")
    if report.embedded == 0:
        out.print("nothing to embed: every chunk was already in the index or the vector cache")
    for failure in report.failed:
        out.print(f"[red]skipped[/] {escape(failure['path'])}: {escape(failure['error'])}", highlight=False)
