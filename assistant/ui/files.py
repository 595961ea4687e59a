"""The web app's file routes serve readings only.

Gradio serves any file under its ``allowed_paths`` (``/gradio_api/file=…``, ``/file=…``,
``/gradio_api/file/…``). A collection folder holds more than readings: hidden files (a folder's
``.readings-keys.json``, editors' swap files), notes in other formats, links. :class:`ReadingsOnly`
sits in front of those routes: a path inside a reading folder is passed on only when it is a
reading (a supported suffix, no hidden part) and does not lead out of the folder through a link;
anything else there gets 404. Paths outside the reading folders (the Evaluate tab's runs) are left
to Gradio's own checks.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.config import Settings
from assistant.index.catalog import list_collections
from assistant.ingest.formats import SUPPORTED_SUFFIXES

FILE_ROUTE = re.compile(r"^/(?:gradio_api/)?file(?:=|/)(?P<path>.+)$")
NOT_SERVED = "not found: only the readings of a collection are served"


def reading_folders(settings: Settings) -> list[Path]:
    """The folders of every collection's readings (the default one included), resolved."""
    folders = {Path(settings.knowledge_dir).resolve()}
    for row in list_collections(settings):
        if row.get("folder"):
            folders.add(Path(row["folder"]).resolve())
    return sorted(f for f in folders if f.is_dir())


def may_serve(requested: str, folders: list[Path]) -> bool:
    """False when ``requested`` (as the file route receives it) is inside a reading folder but is
    not a reading: hidden, of another type, or a link that leads out of the folder."""
    absolute = Path(os.path.abspath(requested))  # ".." folded, links not followed
    try:
        real = absolute.resolve()
    except (OSError, RuntimeError):
        return False
    for folder in folders:
        inside, real_inside = absolute.is_relative_to(folder), real.is_relative_to(folder)
        if inside and not real_inside:
            return False  # a link out of the folder
        for candidate in (absolute, real):
            if candidate.is_relative_to(folder) and not _is_reading(candidate.relative_to(folder)):
                return False
    return True


def _is_reading(relative: Path) -> bool:
    return (
        bool(relative.parts)
        and not any(part.startswith(".") for part in relative.parts)
        and relative.suffix.lower() in SUPPORTED_SUFFIXES
    )


class ReadingsOnly:
    """ASGI middleware: the file routes refuse (404) what :func:`may_serve` refuses."""

    def __init__(self, app: ASGIApp, folders: list[Path]) -> None:
        self.app, self.folders = app, [Path(f).resolve() for f in folders]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match = FILE_ROUTE.match(scope.get("path", ""))
            if match and not may_serve(match.group("path"), self.folders):
                await PlainTextResponse(NOT_SERVED, status_code=404)(scope, receive, send)
                return
        await self.app(scope, receive, send)
