"""One writer per collection: a file lock, with a record of who holds it."""

from __future__ import annotations

import json
import os
import socket
from contextlib import contextmanager

from filelock import FileLock, Timeout

from assistant.errors import StoreError
from assistant.index.progress import SyncProgress
from assistant.index.snapshots import CollectionPaths, atomic_write, now_iso


@contextmanager
def collection_lock(paths: CollectionPaths, timeout: float, progress: SyncProgress):
    """One writer per collection. A second one waits (saying who holds it) up to ``timeout``."""
    paths.root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(paths.lock))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        progress.message(f"waiting: {describe_lock_owner(paths)}")
        try:
            lock.acquire(timeout=timeout)
        except Timeout as exc:
            raise StoreError(
                f"collection {paths.name!r} is busy ({describe_lock_owner(paths)}): try again later"
            ) from exc
    try:
        atomic_write(
            paths.lock_owner, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": now_iso()})
        )
        yield
    finally:
        paths.lock_owner.unlink(missing_ok=True)
        lock.release()


def describe_lock_owner(paths: CollectionPaths) -> str:
    try:
        owner = json.loads(paths.lock_owner.read_text())
        return f"sync by pid {owner['pid']} on {owner['host']} since {owner['since']}"
    except (OSError, ValueError, KeyError):
        return "another sync holds the lock"
