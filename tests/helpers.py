"""Helpers the tests import (never from ``conftest.py``): the project's folders, free ports, and
waiting on a condition instead of sleeping."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
SCREENSHOTS = ROOT / "docs" / "screenshots"
REFRESH_SCREENSHOTS = "ASSISTANT_REFRESH_SCREENSHOTS"  # set to 1 to rewrite docs/screenshots/


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    condition: Callable[[], object], timeout: float = 60.0, what: Callable[[], str] = lambda: "", interval: float = 0.05
) -> None:
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds, saying ``what()``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s {what()}"
        time.sleep(interval)


def cached_vectors(path: Path) -> int:
    """How many passage vectors the SQLite vector cache at ``path`` holds (0 before it exists)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("SELECT count(*) FROM vectors").fetchone()[0]
    except sqlite3.Error:
        return 0


def screenshot_folder(tmp: Path) -> Path:
    """Where browser tests save screenshots: ``tmp`` unless ``ASSISTANT_REFRESH_SCREENSHOTS=1``
    asks to refresh the committed ones in ``docs/screenshots/``."""
    return SCREENSHOTS if os.environ.get(REFRESH_SCREENSHOTS) == "1" else tmp
