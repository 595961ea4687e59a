"""The Library tab: the documents of the selected collection, upload, delete and re-sync.

Presentation only: every action calls the app's :class:`~assistant.library.service.Library` and
turns the report into a status message, a refreshed table and, after a new collection is made,
an update of the shared collection selector.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
from markupsafe import Markup

from assistant.errors import StoreError
from assistant.index.progress import SyncProgress
from assistant.ingest.formats import SUPPORTED_SUFFIXES
from assistant.ui.html import status_list

COLUMNS = ["title", "file", "author", "year", "language", "chunks", "indexed (UTC)", "status"]


class GradioSyncProgress(SyncProgress):
    """Feeds sync phases (checking, reading, embedding) into a ``gr.Progress`` bar."""

    def __init__(self, progress: gr.Progress) -> None:
        self.progress = progress
        self.phase, self.done, self.total = "", 0, 0

    def start(self, phase: str, total: int) -> None:
        self.phase, self.done, self.total = phase, 0, total
        self.progress((0, total), desc=phase)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.progress((self.done, self.total), desc=self.phase)

    def message(self, text: str) -> None:  # e.g. "waiting: sync by pid … since …"
        self.progress((self.done, self.total or None), desc=text)


def table_rows(library, collection: str | None) -> list[list]:
    """Rows of the documents table for one collection (empty when it has none)."""
    rows = library.documents(collection)
    return [
        [
            r["title"],
            r["file"],
            r["author"],
            r["year"],
            r["language"],
            r["chunks"],
            str(r["indexed_at"]).replace("T", " ")[:16],
            r["status"],
        ]
        for r in rows
    ]


def _table(library, collection: str | None) -> gr.Dataframe:
    return gr.Dataframe(value=table_rows(library, collection), headers=COLUMNS)


def _choices(library, collection: str | None) -> gr.Dropdown:
    files = [r["file"] for r in library.documents(collection)]
    return gr.Dropdown(choices=files, value=None)


def _status(lines: list[str], kind: str = "info") -> str:
    return status_list("library-status-box", lines, kind)


def upload_status(report) -> str:
    """HTML list of what an upload did: added, duplicates, refused files (with reasons)."""
    lines: list[str] = [Markup("Added <b>{}</b> ({})").format(a["stored"], a["title"]) for a in report.added]
    lines += [
        f"Duplicate: {d['file']} has the same content as {d['existing']}; not added again" for d in report.duplicates
    ]
    lines += [f"Refused: {r['file']}: {r['error']}" for r in report.refused]
    if report.created:
        lines.insert(0, Markup("Created collection <b>{}</b>").format(report.collection))
    if report.sync:
        lines.append(f"Collection synced: {report.sync.chunks} passages in {report.sync.seconds:.1f} s")
    return _status(lines or ["Nothing uploaded."], "error" if report.refused else "ok")


def build(ctx) -> None:
    """The Library tab (``ctx`` is the app's :class:`~assistant.ui.UIContext`)."""
    settings = ctx.settings
    gr.Markdown(
        "Readings of the collection selected above. Upload .txt, .md, .pdf, .docx or .html "
        f"(at most {settings.max_upload_mb:g} MB each); files are checked, stored in the "
        "collection's folder and indexed. / Bacaan koleksi yang dipilih di atas."
    )
    table = gr.Dataframe(
        value=lambda: table_rows(ctx.library, settings.collection),
        headers=COLUMNS,
        interactive=False,
        wrap=True,
        elem_id="library-table",
        label="Documents",
        column_widths=["24%", "22%", "13%", "6%", "9%", "7%", "12%", "7%"],
    )
    with gr.Row():
        with gr.Column(scale=3):
            files = gr.File(
                file_count="multiple",
                file_types=sorted(SUPPORTED_SUFFIXES),
                type="filepath",
                label="Upload readings",
                elem_id="library-upload",
            )
            new_name = gr.Textbox(
                label="…into a new collection (optional name)",
                elem_id="library-new-collection",
                placeholder="leave empty to add to the selected collection",
            )
        with gr.Column(scale=2):
            doc = gr.Dropdown([], label="Document", elem_id="library-doc", allow_custom_value=False)
            with gr.Row():
                delete = gr.Button("Delete document", variant="stop", elem_id="library-delete")
                resync = gr.Button("Re-sync collection", elem_id="library-resync")
    status = gr.HTML(elem_id="library-status")
    _wire(ctx, table, files, new_name, doc, delete, resync, status)


def remove_status(report) -> str:
    """HTML list of what a delete did: removed documents, and names that matched none."""
    lines: list[str] = [Markup("Deleted <b>{}</b>").format(s) for s in report.removed]
    lines += [m["error"] for m in report.missing]
    return _status(lines, "error" if report.missing else "ok")


def sync_status(report) -> str:
    """HTML list of what a re-sync did: counts, passages, and the files it skipped (with reasons)."""
    counts = ", ".join(f"{len(getattr(report, k))} {k}" for k in ("added", "updated", "removed", "unchanged"))
    lines = [f"Synced: {counts}; {report.chunks} passages in {report.seconds:.1f} s"]
    lines += [f"Skipped {f['path']}: {f['error']}" for f in report.failed]
    return _status(lines, "error" if report.failed else "ok")


def _wire(ctx, table, files, new_name, doc, delete, resync, status) -> None:
    library, collection = ctx.library, ctx.collection

    def refresh(name):
        return _table(library, name), _choices(library, name)

    def pick(evt: gr.SelectData, name):
        row = evt.row_value if evt is not None else None
        return gr.Dropdown(value=row[1]) if row else gr.Dropdown()

    def upload(paths, name, new, progress=gr.Progress()):
        target = (new or "").strip() or name
        if not paths:
            return gr.skip(), gr.skip(), _status(["Choose files to upload."]), gr.skip(), None
        try:
            report = library.add(
                [Path(p) for p in paths], target, [Path(p).name for p in paths], GradioSyncProgress(progress)
            )
        except StoreError as exc:
            return gr.skip(), gr.skip(), _status([str(exc)], "error"), gr.skip(), None
        return (
            _table(library, target),
            _choices(library, target),
            upload_status(report),
            ctx.collection_update(target),
            None,
        )

    def remove(name, source, progress=gr.Progress()):
        if not source:
            return gr.skip(), gr.skip(), _status(["Pick a document to delete (click its row)."])
        try:
            report = library.remove([source], name, GradioSyncProgress(progress))
        except StoreError as exc:
            return gr.skip(), gr.skip(), _status([str(exc)], "error")
        return _table(library, name), _choices(library, name), remove_status(report)

    def sync(name, progress=gr.Progress()):
        try:
            report = library.sync(name, GradioSyncProgress(progress))
        except StoreError as exc:
            return gr.skip(), gr.skip(), _status([str(exc)], "error")
        return _table(library, name), _choices(library, name), sync_status(report)

    collection.change(refresh, collection, [table, doc], api_visibility="private", queue=False)
    table.select(pick, collection, doc, api_visibility="private", queue=False)
    changes: dict = dict(api_visibility="private", concurrency_id="library", concurrency_limit=1)  # one at a time
    files.upload(upload, [files, collection, new_name], [table, doc, status, collection, files], **changes)
    delete.click(remove, [collection, doc], [table, doc, status], **changes)
    resync.click(sync, collection, [table, doc, status], **changes)
