"""Faults of the machine an index is written on: a full disk, and named points to stop a sync at.

A full disk shows up under many names (``OSError`` ENOSPC from our own writes, SQLite's
"database or disk is full" from the vector cache, Chroma's Rust errors quoting "No space left on
device" or "os error 28"); :func:`is_disk_full` recognises them along an exception's chain so a
sync can say what happened instead of printing a traceback.

Fault points (failpoints, as etcd and TiKV have them) let a test kill a sync at a known place and
prove it did: with ``ASSISTANT_FAILPOINT=<point>@<marker file>`` in its environment, a process
that reaches ``<point>`` writes its pid to the marker file and waits there until it is killed.
Unset (the default, and always in production) :func:`failpoint` only reads the variable. The
points of a sync, in order: ``sync:embedding`` (a first batch of vectors is in the cache, more
to embed), ``sync:stored`` (vectors upserted into Chroma, no snapshot yet), ``sync:written`` (the
new snapshot is complete, not yet switched to), ``sync:published`` (switched, old vectors and
snapshots not yet cleaned up). An upload has one more, before its sync: ``upload:copied`` (the file
is copied into the collection's folder under its hidden temporary name, not yet renamed).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import StoreError

FAILPOINT_ENV = "ASSISTANT_FAILPOINT"
FAILPOINTS = ("sync:embedding", "sync:stored", "sync:written", "sync:published")
_DISK_FULL_TEXTS = ("no space left on device", "os error 28", "errno 28", "database or disk is full")


def failpoint(point: str) -> None:
    """Stop here for good when ``ASSISTANT_FAILPOINT`` names ``point`` (see the module notes)."""
    spec = os.environ.get(FAILPOINT_ENV)
    if not spec:
        return
    name, _, marker = spec.partition("@")
    if name != point:
        return
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    threading.Event().wait()  # never set: the process waits here until it is killed


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc``, or an exception it was raised from, says the disk is full."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        if any(text in str(exc).lower() for text in _DISK_FULL_TEXTS):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def disk_full_message(folder: Path) -> str:
    """What to tell the user when a sync ran out of disk space writing under ``folder``."""
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:.1f} MB free"
    except OSError:
        free = "free space unknown"
    return (
        f"the disk is full ({folder}: {free}): the sync stopped and nothing was lost, the previous index "
        "still answers; free some space, then run `assistant index` again"
    )


@contextmanager
def disk_full_is_clear(folder: Path) -> Iterator[None]:
    """Turn a full disk, wherever it hits inside the block, into a :class:`StoreError` that says so."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        if is_disk_full(exc):
            raise StoreError(disk_full_message(folder)) from exc
        raise
