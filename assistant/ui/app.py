"""The Gradio web app: a Blocks app assembled from tab builders.

The app receives its services, a ready :class:`~assistant.service.Assistant` and a
:class:`~assistant.library.service.Library`, and their settings; it builds no services itself. Every tab is a function ``build(ctx: UIContext) -> None`` called inside its
``gr.Tab``; add a tab by appending ``(title, builder)`` to :data:`TABS`.

Named API endpoints (for ``gradio_client``): ``/ask`` and ``/chat`` (see
:func:`assistant.ui.api.register_api`). This module imports Gradio: the ``serve`` command
imports it only when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant.config import Settings
from assistant.index.catalog import list_collections
from assistant.library.service import Library
from assistant.service import Assistant
from assistant.ui import chat, evaluate, library
from assistant.ui.api import register_api
from assistant.ui.context import UIContext, collection_names
from assistant.ui.files import reading_folders

TabBuilder = Callable[["UIContext"], None]
CSS = """
.answer-text mark, #sources mark.quote { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
.dark .answer-text mark, .dark #sources mark.quote { background: #854d0e; }
#sources mark.answer { background: #f59e0b; font-weight: 600; }
.dark #sources mark.answer { background: #b45309; }
.abstention { border-left: 4px solid #d97706; background: rgba(217, 119, 6, .08); padding: .5em .75em; border-radius: 4px; }
#sources ol.sources { list-style: none; padding-left: 0; }
#sources .source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .5em .75em; margin-bottom: .6em; }
#sources .source-meta { color: var(--body-text-color-subdued); font-size: .9em; }
#sources .source-text { margin: .4em 0 0; white-space: pre-wrap; }
#sources .notice { color: var(--body-text-color-subdued); }
"""


def index_info_markdown(settings: Settings, collection: str | None) -> str:
    """The settings panel text: active embedder, collection size and index date."""
    rows = {row["name"]: row for row in list_collections(settings)}
    row = rows.get(collection or settings.collection)
    answerers = ", ".join(["extractive", *settings.llms])
    if row is None:
        return f"Collection **{collection}** is not indexed yet: run `assistant index`."
    return "\n".join(
        [
            "| | |\n|---|---|",
            f"| Collection | **{row['name']}** |",
            f"| Folder | `{row['folder']}` |",
            f"| Size | {row['documents']} readings, {row['chunks']} passages |",
            f"| Indexed | {row['synced_at'] or 'never'} |",
            f"| Embedder | `{row['embedder']}` |",
            f"| Default answerer | `{settings.llm}` (offered: {answerers}) |",
            f"| Retrieval | hybrid, {settings.candidates} candidates, dense weight {settings.dense_weight} |",
        ]
    )


def build_controls(assistant: Assistant, library: Library, settings: Settings) -> UIContext:
    """The shared controls above the tabs, and the settings accordion."""
    names = collection_names(settings)
    default = settings.collection if settings.collection in names else (names[0] if names else None)
    with gr.Row(equal_height=True):
        collection = gr.Dropdown(
            names,
            value=default,
            label="Readings",
            allow_custom_value=False,
            elem_id="collection",
            scale=2,
            min_width=160,
        )
        llm = gr.Dropdown(
            assistant.available_llms(), value=settings.llm, label="Answerer", elem_id="llm", scale=2, min_width=160
        )
        k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages", elem_id="k", scale=1, min_width=160)
    with gr.Accordion("Index and settings", open=False, elem_id="settings"):
        info = gr.Markdown(index_info_markdown(settings, default), elem_id="index-info")
    collection.change(
        lambda name: index_info_markdown(settings, name), collection, info, api_visibility="private", queue=False
    )
    return UIContext(assistant, library, settings, collection, llm, k, info)


TABS: list[tuple[str, TabBuilder]] = [
    ("Chat", chat.build),
    ("Library", library.build),
    ("Evaluate", evaluate.build),
]


def build_app(
    assistant: Assistant, library: Library, settings: Settings, tabs: list[tuple[str, TabBuilder]] | None = None
) -> gr.Blocks:
    """The web app: shared controls, one ``gr.Tab`` per builder, and the named API endpoints.

    Parameters
    ----------
    assistant : Assistant
        The service answering questions (already configured; warm it up before serving).
    library : Library
        The service adding, removing and re-syncing documents (the Library tab).
    settings : Settings
        The settings the assistant was built with.
    tabs : list of (title, builder), optional
        Defaults to :data:`TABS`.
    """
    with gr.Blocks(title="Reading assistant", fill_width=False) as app:
        gr.Markdown(
            "## Reading assistant\nAsk about the readings; every claim links to the passage it comes from. "
            "Tanyakan tentang bacaan; setiap klaim menunjuk ke bagian bacaan sumbernya."
        )
        ctx = build_controls(assistant, library, settings)
        for title, builder in tabs if tabs is not None else TABS:
            with gr.Tab(title, id=title.lower()):
                builder(ctx)
        register_api(ctx)
        app.load(ctx.collection_update, ctx.collection, ctx.collection, api_visibility="private", queue=False)
    return app


def served_paths(settings: Settings) -> list[str]:
    """Folders whose files the app may serve: the readings of every collection and the Evaluate
    tab's runs, nothing else."""
    served = [*reading_folders(settings), settings.eval_runs_dir.resolve()]
    return sorted(str(f) for f in served)  # within the reading folders, readings only: assistant.ui.files


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="teal", secondary_hue="amber", neutral_hue="slate")


def launch_options(settings: Settings, auth: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: binding, login, served folders, theme."""
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": auth or None,
        "auth_message": "Log in to use the reading assistant." if auth else None,
        "allowed_paths": served_paths(settings),
        "max_file_size": f"{int(settings.max_upload_mb * 1024 * 1024)}b",
        "theme": theme(),
        "css": CSS,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "share": False,
        "show_error": False,
    }


def configure_queue(app: gr.Blocks, settings: Settings) -> gr.Blocks:
    """Gradio's queue with the configured concurrency limit (per event) and at most
    ``settings.queue_size`` events waiting (more are refused with "queue is full")."""
    return app.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_size)
