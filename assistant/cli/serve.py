"""``assistant serve``: open the index, serve the web app, and warm up the models while it already listens."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from assistant.cli.common import CollectionOpt, UsageError, err, handle_errors, settings_from

HostOpt = Annotated[
    Optional[str], typer.Option("--host", help="Address to bind (default 127.0.0.1: this machine only).")
]
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
        lines = [
            (f"{path}:{i}", line.strip()) for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        ]
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


WatchOpt = Annotated[
    bool, typer.Option("--watch", help="Sync collections when files are added to or removed from their folders.")
]


def serve(
    host: HostOpt = None, port: PortOpt = None, collection: CollectionOpt = None, watch: WatchOpt = False
) -> None:
    """Serve the web app (chat with cited passages) and the OpenAI-compatible API (/v1) until interrupted."""
    with handle_errors():
        settings = settings_from(host=host, port=port, collection=collection)
        auth = load_auth(settings.auth)
        started = time.perf_counter()
        assistant = open_services(settings)
        listening = _bind(settings.host, settings.port)
        server = _server(build_app_for(assistant, settings, auth), settings)
    url = f"http://{settings.host}:{settings.port}/"

    def ready() -> None:
        err.print(f"listening in {time.perf_counter() - started:.1f} s; warming up the models", highlight=False)
        _api_notice(settings, url)
        print(f"Reading assistant running at {url}  (Ctrl+C to stop)", flush=True)
        threading.Thread(target=warm_up, name="warm-up", daemon=True).start()

    def warm_up() -> None:
        try:  # requests that arrive meanwhile wait for the models they need (loaded once, under locks)
            assistant.warm_up(settings.collection)
        except Exception as exc:  # noqa: BLE001 - reported; the first request then shows the error itself
            err.print(f"[red]warm-up failed:[/] {escape(str(exc))}", soft_wrap=True)
        else:
            err.print(f"ready in {time.perf_counter() - started:.1f} s", highlight=False)

    server.on_ready = ready
    stop_watching = _watch(settings) if watch else None
    try:
        server.run(sockets=[listening])
    finally:
        if stop_watching:
            stop_watching()
        listening.close()


def _api_notice(settings, url: str) -> None:
    from assistant.api.openai import api_key, key_required

    if settings.auth and api_key(settings) is None:
        err.print(
            "OpenAI-compatible API: refuses every request until ASSISTANT_API_KEY is set (login is on)", highlight=False
        )
    else:
        needs = " (bearer key: ASSISTANT_API_KEY)" if key_required(settings) else ""
        err.print(f"OpenAI-compatible API at {url}v1{needs}", highlight=False)


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is served (a clear error when the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another --port or --host"
        ) from None
    listening.set_inheritable(True)
    return listening


def _server(app, settings):
    """A uvicorn server for ``app`` (run it on a bound socket); it calls ``on_ready`` once it listens."""
    import uvicorn

    class Server(uvicorn.Server):
        on_ready = None

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)
            if self.started and self.on_ready is not None:
                self.on_ready()

    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="warning", access_log=False, timeout_graceful_shutdown=5
    )
    return Server(config)


def _watch(settings):
    from assistant.library.watching import start_watching

    def report(name, result, error):
        if error is not None:
            err.print(f"[red]watch: sync of {escape(repr(name))} failed:[/] {escape(str(error))}", soft_wrap=True)
        elif result.added or result.updated or result.removed or result.failed:
            err.print(
                f"watch: {name}: +{len(result.added)} ~{len(result.updated)} -{len(result.removed)} "
                f"({len(result.failed)} skipped), {result.chunks} passages",
                highlight=False,
            )
        else:
            err.print(f"watch: {name}: up to date ({result.chunks} passages)", highlight=False)

    stop = start_watching(settings, on_sync=report)
    err.print("watching collection folders for changes", highlight=False)
    return stop


def build(settings, auth: list[tuple[str, str]] | None = None):
    """The ASGI app of :func:`open_services`, warmed up (index, embedder, reader, one answer) before it is returned."""
    assistant = open_services(settings)
    assistant.warm_up(settings.collection)
    return build_app_for(assistant, settings, auth)


def open_services(settings):
    """The assistant with the default collection's index opened (a clear error when it is missing or damaged);
    the models load on :meth:`~assistant.service.Assistant.warm_up` or on the first answer."""
    from assistant.index.snapshots import CollectionPaths
    from assistant.service import Assistant

    assistant = Assistant(settings)
    name = settings.collection
    if CollectionPaths(settings, name).current_snapshot() is None:
        raise UsageError(f"collection {name!r} is not indexed yet: run `assistant index --collection {name}` first")
    assistant.retriever(name)
    return assistant


def build_app_for(assistant, settings, auth: list[tuple[str, str]] | None = None):
    """One ASGI app around the services: the OpenAI-compatible API under ``/v1`` and the web app at ``/``."""
    import gradio as gr
    from fastapi import FastAPI

    from assistant.api.openai import create_api
    from assistant.library.service import Library
    from assistant.ui.app import build_app, configure_queue, launch_options
    from assistant.ui.auth import LoginThrottle, guard_gradio
    from assistant.ui.files import ReadingsOnly, reading_folders

    blocks = configure_queue(build_app(assistant, Library(settings), settings), settings)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(ReadingsOnly, folders=reading_folders(settings))  # no hidden or other files of a folder
    app.add_middleware(LoginThrottle, max_failures=settings.login_max_failures, lockout=settings.login_lockout_seconds)
    app.mount("/v1", create_api(assistant, settings))
    options = {key: value for key, value in launch_options(settings, auth).items() if key != "share"}
    return guard_gradio(gr.mount_gradio_app(app, blocks, path="/", **options))


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``assistant`` command line."""
    app.command()(serve)
