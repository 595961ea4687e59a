"""``assistant serve``: load the models and indexes once, warm up, then serve the web app."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from assistant.cli.common import CollectionOpt, UsageError, err, handle_errors, settings_from

HostOpt = Annotated[Optional[str], typer.Option("--host", help="Address to bind (default 127.0.0.1: this machine only).")]
PortOpt = Annotated[Optional[int], typer.Option("--port", min=1, max=65535, help="Port (default 7860).")]


def load_auth(value: str | None) -> list[tuple[str, str]] | None:
    """Logins from ``ASSISTANT_AUTH``: ``user:password`` or a file of such lines (``#`` comments).

    Raises
    ------
    UsageError
        When the value or a line of the file is not ``user:password``.
    """
    if not value:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        lines = [(f"{path}:{i}", line.strip()) for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
    elif ":" in value:
        lines = [("ASSISTANT_AUTH", value.strip())]
    else:
        raise UsageError(f"ASSISTANT_AUTH must be user:password or an existing file of such lines, got {value!r}")
    users = []
    for where, line in lines:
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise UsageError(f"{where}: expected user:password")
        users.append((user.strip(), password))
    if not users:
        raise UsageError(f"{value}: no user:password lines")
    return users


WatchOpt = Annotated[bool, typer.Option("--watch", help="Sync collections when files are added to or removed from their folders.")]


def serve(host: HostOpt = None, port: PortOpt = None, collection: CollectionOpt = None, watch: WatchOpt = False) -> None:
    """Serve the web app (chat with cited passages) until interrupted."""
    with handle_errors():
        settings = settings_from(host=host, port=port, collection=collection)
        auth = load_auth(settings.auth)
        started = time.perf_counter()
        app = build(settings)
        from assistant.ui.app import launch_options

        _, url, _ = app.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings, auth))
    err.print(f"ready in {time.perf_counter() - started:.1f} s", highlight=False)
    print(f"Reading assistant running at {url.rstrip('/')}/  (Ctrl+C to stop)", flush=True)
    stop_watching = _watch(settings) if watch else None
    try:
        app.block_thread()
    finally:
        if stop_watching:
            stop_watching()
        app.close()


def _watch(settings):
    from assistant.library.watching import start_watching

    def report(name, result, error):
        if error is not None:
            err.print(f"[red]watch: sync of {name!r} failed:[/] {error}", soft_wrap=True)
        elif result.added or result.updated or result.removed or result.failed:
            err.print(f"watch: {name}: +{len(result.added)} ~{len(result.updated)} -{len(result.removed)} "
                      f"({len(result.failed)} skipped), {result.chunks} passages", highlight=False)
        else:
            err.print(f"watch: {name}: up to date ({result.chunks} passages)", highlight=False)

    stop = start_watching(settings, on_sync=report)
    err.print("watching collection folders for changes", highlight=False)
    return stop


def build(settings):
    """Build the services (the assistant, warmed up: index, embedder, one answer; the library)
    and the app around them."""
    from assistant.index.snapshots import CollectionPaths
    from assistant.library.service import Library
    from assistant.service import Assistant
    from assistant.ui.app import build_app, configure_queue

    assistant = Assistant(settings)
    name = settings.collection
    if CollectionPaths(settings, name).current_snapshot() is None:
        raise UsageError(f"collection {name!r} is not indexed yet: run `assistant index --collection {name}` first")
    err.print(f"loading collection {name!r} and warming up…", highlight=False)
    assistant.warm_up(name)
    return configure_queue(build_app(assistant, Library(settings), settings), settings)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``assistant`` command line."""
    app.command()(serve)
