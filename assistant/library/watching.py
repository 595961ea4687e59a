"""Watching collection folders: a file added to or removed from a folder syncs its collection,
after a quiet period, in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from watchdog.events import FileSystemEventHandler
from watchdog.observers.api import BaseObserver

from assistant.config import Settings
from assistant.index.catalog import collection_folder
from assistant.index.locking import collection_lock
from assistant.index.progress import SyncProgress
from assistant.index.snapshots import CollectionPaths
from assistant.index.sync import SyncReport, sync_locked
from assistant.ingest.formats import SUPPORTED_SUFFIXES
from assistant.library.collections import collections_overview


class FolderWatcher:
    """Syncs collections whose folders change, after ``debounce`` seconds of quiet.

    Events for hidden files and unsupported types are ignored. Each collection syncs in a
    background thread, at most one at a time; changes arriving during a sync cause one more.
    ``on_sync(name, report, error)`` is called after each sync (``report`` or ``error`` is None).
    """

    def __init__(
        self,
        settings: Settings,
        folders: dict[str, Path],
        debounce: float = 1.0,
        on_sync: Callable[[str, SyncReport | None, Exception | None], None] | None = None,
    ) -> None:
        self.settings = settings
        self.folders = {name: folder.resolve() for name, folder in folders.items()}
        self.debounce = debounce
        self.on_sync = on_sync or (lambda name, report, error: None)
        self._state = threading.Lock()
        self._timers: dict[str, threading.Timer] = {}
        self._running: set[str] = set()
        self._pending: set[str] = set()
        self._stopped = False
        self._observer: BaseObserver | None = None

    def start(self) -> FolderWatcher:
        from watchdog.observers import Observer

        observer = self._observer = Observer()
        for name, folder in self.folders.items():
            observer.schedule(_Handler(self, name, folder), str(folder), recursive=True)
        observer.daemon = True
        observer.start()
        return self

    def poke(self, name: str) -> None:
        """Note a change in a collection's folder; the sync starts after the quiet period."""
        with self._state:
            if self._stopped:
                return
            if name in self._timers:
                self._timers[name].cancel()
            timer = threading.Timer(self.debounce, self._fire, [name])
            timer.daemon = True
            self._timers[name] = timer
            timer.start()

    def _fire(self, name: str) -> None:
        with self._state:
            self._timers.pop(name, None)
            if name in self._running:
                self._pending.add(name)
                return
            self._running.add(name)
        while True:
            try:
                self.on_sync(name, sync_locked_by_name(self.settings, name, self.folders[name]), None)
            except Exception as exc:  # reported to the callback; the watcher keeps going
                self.on_sync(name, None, exc)
            with self._state:
                if name in self._pending and not self._stopped:
                    self._pending.discard(name)
                    continue
                self._running.discard(name)
                return

    def busy(self) -> bool:
        """True while a change is waiting for its quiet period or a sync is running."""
        with self._state:
            return bool(self._timers or self._running or self._pending)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop watching; waits (up to ``timeout``) for a running sync to finish."""
        with self._state:
            self._stopped = True
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
        deadline = time.monotonic() + timeout
        while self.busy() and time.monotonic() < deadline:
            time.sleep(0.05)


def sync_locked_by_name(settings: Settings, name: str, folder: Path) -> SyncReport:
    """Sync one collection from ``folder`` under its lock (as ``assistant index`` would)."""
    paths = CollectionPaths(settings, name)
    with collection_lock(paths, settings.lock_timeout, SyncProgress()):
        return sync_locked(settings, paths, folder)


def _relevant(folder: Path, raw: str) -> bool:
    try:
        rel = Path(raw).resolve().relative_to(folder)
    except ValueError:
        return False
    if not rel.parts or any(part.startswith(".") for part in rel.parts):
        return False
    return not rel.suffix or rel.suffix.lower() in SUPPORTED_SUFFIXES  # a folder, or a reading


class _Handler(FileSystemEventHandler):
    """Forwards relevant events of one collection folder to the watcher."""

    def __init__(self, watcher: FolderWatcher, name: str, folder: Path) -> None:
        self.watcher, self.name, self.folder = watcher, name, folder

    def on_any_event(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return  # reads, and a folder's own change (its files' events follow)
        raws = [event.src_path, getattr(event, "dest_path", "") or ""]
        if any(raw and _relevant(self.folder, str(raw)) for raw in raws):
            self.watcher.poke(self.name)


def start_watching(
    settings: Settings,
    collections: Sequence[str] | None = None,
    debounce: float = 1.0,
    on_sync: Callable[[str, SyncReport | None, Exception | None], None] | None = None,
) -> Callable[[], None]:
    """Watch collection folders and sync on change; returns a function that stops watching.

    Each watched collection is also synced once at the start (in the background), so files
    changed while nothing was watching are picked up too.

    Parameters
    ----------
    settings : Settings
        Application settings.
    collections : sequence of str, optional
        Names to watch (default: every collection with a folder, and the default one).
    debounce : float
        Seconds without further changes before a sync starts.
    on_sync : callable, optional
        ``on_sync(name, report, error)`` after each sync, e.g. to log it.
    """
    names = (
        list(collections)
        if collections is not None
        else [r["name"] for r in collections_overview(settings) if not r["damaged"]]
    )
    folders = {}
    for name in names:
        folder = collection_folder(settings, name)
        if folder is not None and folder.is_dir():
            folders[name] = folder
    watcher = FolderWatcher(settings, folders, debounce, on_sync).start()
    for name in folders:  # catch up with changes made while nobody was watching
        watcher.poke(name)
    return watcher.stop
