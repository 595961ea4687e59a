"""``assistant add``, ``remove`` and ``collections``: managing reading collections.

Exit codes follow the CLI contract: 0 success (duplicates are reported, not errors), 2 usage
or configuration error, 3 finished but some inputs were refused or not found.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from assistant.cli.common import (
    CollectionOpt,
    JsonOpt,
    KnowledgeOpt,
    RichSyncProgress,
    emit_json,
    handle_errors,
    out,
    print_sync_report,
    rich_progress,
    settings_from,
)

collections_app = typer.Typer(help="List reading collections, or remove one.", invoke_without_command=True)


def add(
    files: Annotated[list[Path], typer.Argument(help="Files to add (.txt .md .pdf .docx .html).")],
    collection: CollectionOpt = None,
    knowledge: KnowledgeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add readings to a collection (created if needed, under the data folder unless --knowledge) and sync it."""
    from assistant.library.documents import add_documents

    with handle_errors():
        settings = settings_from()
        with rich_progress() as progress:
            report = add_documents(settings, files, collection, knowledge, progress=RichSyncProgress(progress))
    if as_json:
        emit_json(report.to_json())
    else:
        _print_add(report)
    if report.refused or (report.sync and report.sync.failed):
        raise typer.Exit(3)


def _print_add(report) -> None:
    if report.created:
        out.print(f"created collection [bold]{escape(report.collection)}[/] in {escape(str(report.folder))}")
    for item in report.added:
        out.print("[green]added[/]", escape("{file} as {stored} ({title})".format(**item)))
    for item in report.duplicates:
        out.print("[yellow]duplicate[/]", escape("{file}: same content as {existing}, not added again".format(**item)))
    for item in report.refused:
        out.print("[red]refused[/]", escape("{file}: {error}".format(**item)))
    if report.sync:
        print_sync_report(report.sync)


def remove(
    docs: Annotated[list[str], typer.Argument(help="Documents to remove: file path, file name or title.")],
    collection: CollectionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete documents from a collection's folder and index, so no search or answer returns them."""
    from assistant.library.documents import remove_documents

    with handle_errors():
        settings = settings_from()
        with rich_progress() as progress:
            report = remove_documents(settings, docs, collection, RichSyncProgress(progress))
    if as_json:
        emit_json(report.to_json())
    else:
        for source in report.removed:
            out.print(f"[green]removed[/] {escape(source)}")
        for item in report.missing:
            out.print("[red]not found[/]", escape("{doc}: {error}".format(**item)))
        if report.sync:
            print_sync_report(report.sync)
    if report.missing:
        raise typer.Exit(3)


@collections_app.callback()
def collections(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List collections with document and chunk counts, embedder and last sync."""
    if ctx.invoked_subcommand is not None:
        return
    from assistant.library.collections import collections_overview

    with handle_errors():
        rows = collections_overview(settings_from())
    if as_json:
        emit_json({"collections": rows})
        return
    table = Table(title="collections")
    for column in ("name", "documents", "chunks", "embedder", "synced_at", "folder"):
        table.add_column(column, justify="right" if column in ("documents", "chunks") else "left")
    for row in rows:
        name = f"{row['name']} (default)" if row["default"] else row["name"]
        table.add_row(
            escape(name),
            str(row["documents"]),
            str(row["chunks"]),
            escape(row["embedder"] or "-"),
            "[red]damaged[/]" if row["damaged"] else row["synced_at"] or "never",
            escape(row["folder"]),
        )
    out.print(table)
    for row in rows:
        if row["damaged"]:
            out.print("[red]damaged[/]", escape(row["damaged"]), soft_wrap=True)


@collections_app.command("remove")
def collections_remove(
    name: Annotated[str, typer.Argument(help="The collection to remove.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a collection's index; its files too only if they live under the data folder."""
    from assistant.index.catalog import collection_folder
    from assistant.library.collections import is_managed, remove_collection

    with handle_errors():
        settings = settings_from()
        folder = collection_folder(settings, name)
        if not yes and sys.stdin.isatty():
            what = f" and delete {folder}" if folder and is_managed(settings, folder) else " (files are kept)"
            typer.confirm(f"Remove collection {name!r}{what}?", abort=True)
        result = remove_collection(settings, name)
    if as_json:
        emit_json(result)
        return
    kept = "files deleted" if result["files_removed"] else f"files kept in {result['folder']}"
    out.print(f"removed collection [bold]{escape(name)}[/] ({escape(kept)})")


def register(app: typer.Typer) -> None:
    """Add ``add``, ``remove`` and ``collections`` to the ``assistant`` command line."""
    app.command()(add)
    app.command()(remove)
    app.add_typer(collections_app, name="collections")
