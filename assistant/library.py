"""Reading collections and their documents: list, add, remove, validate uploads, watch folders.

The CLI (``assistant add``, ``remove``, ``collections``) and the web app's Library tab are thin
layers over these functions.

Every change to a collection's folder happens while holding the collection's sync lock, and
is followed by a sync in the same locked step; when the sync fails the folder is put back as it
was (copied files removed, removed files restored), so the index and the folder stay in step
and the previous snapshot keeps answering. Uploads are checked by content (magic bytes, zip
layout, text decoding) and loaded once before anything is copied.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEventHandler

from assistant.config import Settings
from assistant.indexing import SyncProgress, SyncReport, collection_lock, scan_folder, sync_locked
from assistant.ingest import SKIPPED_NAMES, SUPPORTED_SUFFIXES, IngestError, load_document
from assistant.store import (
    CollectionPaths,
    StoreError,
    check_collection_name,
    check_folder_free,
    chroma_client,
    chroma_name,
    file_sha256,
    list_collections,
)

UPLOAD_KINDS = {".txt": "text", ".md": "text", ".markdown": "text", ".pdf": "pdf", ".docx": "docx",
                ".html": "html", ".htm": "html"}
_MARKUP = re.compile(rb"<\s*(?:!doctype\s+html|html|head|body|title|p|div|h[1-6]|article|main|section|br|ul|li|table)\b",
                     re.I)
_UNSAFE = re.compile(r"[^\w.\- ()+,]+", re.UNICODE)


class LibraryError(StoreError):
    """A library operation that cannot be done; the message says what to do instead."""


class UploadError(LibraryError):
    """A file refused before it reaches a collection folder; the message says why."""


# ---------------------------------------------------------------- collections


def library_folder(settings: Settings, name: str) -> Path:
    """Folder of a collection created by adding files: ``data_dir/library/<name>``."""
    return settings.data_dir / "library" / check_collection_name(name)


def collection_folder(settings: Settings, name: str) -> Path | None:
    """The reading folder of a collection (recorded, or the default knowledge folder), if any."""
    recorded = CollectionPaths(settings, name).read_info().get("folder")
    if recorded:
        return Path(recorded)
    return settings.knowledge_dir if name == settings.collection else None


def is_managed(settings: Settings, folder: Path) -> bool:
    """True when ``folder`` lies under the data folder (so its files are ours to delete)."""
    return folder.expanduser().resolve().is_relative_to(settings.data_dir.expanduser().resolve())


def collections_overview(settings: Settings) -> list[dict[str, Any]]:
    """Every collection with document and chunk counts, embedder, last sync and folder.

    The default collection is listed (with zero counts) even before its first sync.
    """
    rows = list_collections(settings)
    if settings.collection not in {r["name"] for r in rows}:
        rows.append({"name": settings.collection, "folder": str(settings.knowledge_dir.resolve()), "documents": 0,
                     "chunks": 0, "embedder": "", "synced_at": ""})
    for row in rows:
        row["default"] = row["name"] == settings.collection
        row["managed"] = bool(row["folder"]) and is_managed(settings, Path(row["folder"]))
    return sorted(rows, key=lambda r: (not r["default"], r["name"]))


def _target_folder(settings: Settings, paths: CollectionPaths, folder: Path | None) -> tuple[Path, bool]:
    """The folder files are added to, and whether the collection is new (folder checked)."""
    current = collection_folder(settings, paths.name)
    if paths.exists() and current is not None:
        if folder is not None and folder.expanduser().resolve() != current.resolve():
            raise LibraryError(f"collection {paths.name!r} already uses folder {current}: leave out --knowledge")
        return current.resolve(), False
    folder = (folder or current or library_folder(settings, paths.name)).expanduser().resolve()
    slug = chroma_name(paths.name, "", 0)
    for other in list_collections(settings):
        if other["name"] != paths.name and chroma_name(other["name"], "", 0) == slug:
            raise LibraryError(f"collection name {paths.name!r} is too close to {other['name']!r}: choose another name")
    check_folder_free(settings, paths.name, folder)
    return folder, True


def remove_collection(settings: Settings, name: str) -> dict[str, Any]:
    """Remove a collection's index, its Chroma collection and, if managed, its files.

    Files are deleted only when the folder lies under the data folder (created by
    ``assistant add``); a user's own folder is never touched.

    Raises
    ------
    LibraryError
        When no such collection exists.
    """
    paths = CollectionPaths(settings, name)
    if not paths.exists():
        raise LibraryError(f"no collection named {name!r}: see `assistant collections`")
    folder = collection_folder(settings, name)
    with collection_lock(paths, settings.lock_timeout, SyncProgress()):
        snapshot = paths.current_snapshot()
        target = snapshot.manifest.get("chroma_collection") if snapshot else None
        if target:
            try:
                chroma_client(settings).delete_collection(target)
            except Exception:  # already gone: nothing to delete
                pass
        for item in (paths.current, paths.info):
            item.unlink(missing_ok=True)
        shutil.rmtree(paths.snapshots, ignore_errors=True)
    shutil.rmtree(paths.root, ignore_errors=True)
    managed = folder is not None and is_managed(settings, folder)
    if managed and folder.exists():
        shutil.rmtree(folder)
    return {"collection": name, "chroma_collection": target, "index_removed": True,
            "folder": str(folder or ""), "files_removed": managed}


# ---------------------------------------------------------------- documents


def list_documents(settings: Settings, name: str) -> list[dict[str, Any]]:
    """Documents of a collection: indexed ones with their metadata, then files not yet indexed."""
    paths = CollectionPaths(settings, name)
    snapshot = paths.current_snapshot()
    files = snapshot.manifest.get("files", {}) if snapshot else {}
    rows = []
    for source, entry in files.items():
        meta = entry.get("metadata", {})
        rows.append({"file": source, "title": meta.get("title") or source, "author": meta.get("author", ""),
                     "year": meta.get("year", ""), "language": meta.get("language", ""), "kind": meta.get("kind", ""),
                     "chunks": entry.get("chunks", 0), "indexed_at": entry.get("indexed_at", ""),
                     "size": entry.get("size", 0), "status": "indexed"})
    folder = collection_folder(settings, name)
    if folder is not None and folder.is_dir():
        for source, path in scan_folder(folder)[0].items():
            if source not in files:
                rows.append({"file": source, "title": source, "author": "", "year": "", "language": "", "kind": "",
                             "chunks": 0, "indexed_at": "", "size": path.stat().st_size, "status": "not indexed"})
    return sorted(rows, key=lambda r: (r["status"] != "indexed", str(r["title"]).lower()))


def safe_name(name: str) -> str:
    """A file name that stays inside the collection folder and is not skipped by a sync.

    Directories (``/`` or ``\\``), ``..``, control characters and leading dots are removed;
    other unusual characters become ``-``; the suffix is lower-cased; long names are shortened.
    """
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    base = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in base)
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("-", stem).replace("..", ".").strip(" .-_") or "document"
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())
    result = f"{stem[:120]}.{suffix}" if suffix else stem[:120]
    if result.lower() in SKIPPED_NAMES:
        result = f"reading-{result}"
    return result


def sniff(path: Path, suffix: str, max_mb: float) -> str:
    """Check a file's content against its type; return the kind (text, pdf, docx, html).

    Raises
    ------
    UploadError
        For an unsupported type, a file over ``max_mb``, or content that is not what the
        extension claims.
    """
    kind = UPLOAD_KINDS.get(suffix.lower())
    if kind is None:
        raise UploadError(f"unsupported type {suffix or '(none)'}: upload .txt, .md, .pdf, .docx or .html")
    size = path.stat().st_size
    if size == 0:
        raise UploadError("empty file: nothing to add")
    if size > max_mb * 1024 * 1024:
        raise UploadError(f"file is {size / 1e6:.1f} MB, over the {max_mb:g} MB upload limit: split it first")
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if kind == "pdf" and b"%PDF-" not in head[:1024]:
        raise UploadError("not a PDF: the content does not start with %PDF- (a renamed file?)")
    if kind == "docx":
        _check_docx(path)
    if kind in ("text", "html"):
        _check_text(path, kind)
    return kind


def _check_docx(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError("not a Word document: a .docx is a zip archive and this is not one") from exc
    if "word/document.xml" not in names:
        raise UploadError("not a Word document: the zip holds no word/document.xml (save it as .docx from Word)")


def _check_text(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if b"\x00" in data:
        raise UploadError("not a text file: it contains NUL bytes (binary content renamed to text?)")
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        if from_bytes(data).best() is None:
            raise UploadError("not a text file: it does not decode as text (save it as UTF-8)") from None
    if kind == "html" and not _MARKUP.search(data[:65536]):
        raise UploadError("not HTML: no markup found (save plain text as .txt)")


def check_upload(path: Path, name: str, settings: Settings) -> str:
    """Validate one file for adding under ``name`` (already made safe); return its title.

    The content is sniffed and then loaded and cleaned exactly as a sync would, so a file that
    would fail to index is refused before it is copied.

    Raises
    ------
    UploadError
        With the reason, e.g. ``not a PDF`` or ``PDF has no text layer``.
    """
    sniff(path, Path(name).suffix, settings.max_upload_mb)
    limit = max(settings.max_upload_mb, settings.max_file_mb)
    try:
        if path.suffix.lower() == Path(name).suffix:
            return load_document(path, name, max_mb=limit).title
        with tempfile.TemporaryDirectory() as tmp:  # loaders pick the format by suffix
            staged = Path(tmp) / name
            shutil.copyfile(path, staged)
            return load_document(staged, name, max_mb=limit).title
    except IngestError as exc:
        raise UploadError(str(exc)) from exc


@dataclass
class AddReport:
    """What :func:`add_documents` did; ``to_json`` gives the ``assistant add --json`` contract."""

    collection: str
    folder: str = ""
    created: bool = False
    added: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    sync: SyncReport | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"collection": self.collection, "folder": self.folder, "created": self.created, "added": self.added,
                "duplicates": self.duplicates, "refused": self.refused,
                "sync": self.sync.to_json() if self.sync else None, "seconds": round(self.seconds, 3)}


@dataclass
class _Candidate:
    path: Path
    label: str
    name: str
    sha256: str
    title: str


def _validate_all(settings: Settings, files: Sequence[Path], labels: Sequence[str], report: AddReport,
                  progress: SyncProgress) -> list[_Candidate]:
    """Check every file (content, size, loadable); refused ones go to ``report.refused``."""
    accepted = []
    progress.start("checking", len(files))
    for path, label in zip(files, labels):
        name = safe_name(label)
        try:
            if not path.is_file():
                raise UploadError("no such file")
            title = check_upload(path, name, settings)
            accepted.append(_Candidate(path, label, name, file_sha256(path), title))
        except UploadError as exc:
            report.refused.append({"file": label, "error": str(exc)})
        progress.advance()
    return accepted


def _known_hashes(folder: Path, paths: CollectionPaths) -> dict[str, str]:
    """SHA-256 of every indexed or present file of a collection -> its relative path."""
    known: dict[str, str] = {}
    snapshot = paths.current_snapshot()
    for source, entry in (snapshot.manifest.get("files", {}) if snapshot else {}).items():
        known.setdefault(entry.get("sha256", ""), source)
    if folder.is_dir():
        for source, path in scan_folder(folder)[0].items():
            known.setdefault(file_sha256(path), source)
    return known


def _unique_name(folder: Path, name: str) -> str:
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, n = name, 2
    while (folder / candidate).exists():
        candidate, n = f"{stem}-{n}{suffix}", n + 1
    return candidate


def _copy_in(source: Path, folder: Path, name: str) -> Path:
    """Copy a file into ``folder`` so a concurrent scan never sees it half-written."""
    target = folder / name
    if target.resolve().parent != folder.resolve():
        raise UploadError(f"unsafe file name {name!r}")
    tmp = folder / f".{name}.{uuid.uuid4().hex}.part"
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    return target


def add_documents(
    settings: Settings,
    files: Sequence[Path],
    collection: str | None = None,
    folder: Path | None = None,
    labels: Sequence[str] | None = None,
    progress: SyncProgress | None = None,
) -> AddReport:
    """Add files to a collection (created if needed) and sync it.

    Each file is checked by content and loaded before anything is copied; a file whose
    SHA-256 matches an indexed or present file is reported as a duplicate; the others are copied
    under a safe, unused name. If the sync fails, the copied files are removed again.

    Parameters
    ----------
    settings : Settings
        Application settings.
    files : sequence of Path
        Files to add.
    collection : str, optional
        Collection name (default: ``settings.collection``).
    folder : Path, optional
        Folder for a new collection (default: ``data_dir/library/<name>``).
    labels : sequence of str, optional
        Original file names (for uploads stored under temporary names).
    progress : SyncProgress, optional
        Receives checking and sync progress.

    Raises
    ------
    StoreError
        For a bad name, a folder nesting with another collection's, or a busy collection.
    """
    started = time.perf_counter()
    progress = progress or SyncProgress()
    paths = CollectionPaths(settings, collection or settings.collection)
    target, created = _target_folder(settings, paths, folder)
    report = AddReport(paths.name, str(target), created)
    files = [Path(f) for f in files]
    accepted = _validate_all(settings, files, list(labels or [f.name for f in files]), report, progress)
    if not accepted:
        report.seconds = time.perf_counter() - started
        return report
    with collection_lock(paths, settings.lock_timeout, progress):
        report.sync = _copy_and_sync(settings, paths, target, accepted, report, progress)
    report.seconds = time.perf_counter() - started
    return report


def _copy_and_sync(settings, paths, target: Path, accepted: list[_Candidate], report: AddReport,
                   progress: SyncProgress) -> SyncReport:
    """Copy new files into ``target`` and sync; undo the copies if the sync does not finish."""
    made_folder = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    known = _known_hashes(target, paths)
    copied: dict[str, _Candidate] = {}
    try:
        for item in accepted:
            if item.sha256 in known:
                report.duplicates.append({"file": item.label, "existing": known[item.sha256]})
                continue
            stored = _copy_in(item.path, target, _unique_name(target, item.name)).name
            known[item.sha256] = stored
            copied[stored] = item
        sync = sync_locked(settings, paths, target, False, progress)
    except BaseException:
        for stored in copied:
            (target / stored).unlink(missing_ok=True)
        if made_folder and not any(target.iterdir()):
            target.rmdir()
        raise
    failed = {f["path"]: f["error"] for f in sync.failed}
    for stored, item in copied.items():
        if stored in failed:  # loaded fine a moment ago; keep the folder as the index sees it
            (target / stored).unlink(missing_ok=True)
            report.refused.append({"file": item.label, "error": failed[stored]})
        else:
            report.added.append({"file": item.label, "stored": stored, "title": item.title})
    return sync


# ---------------------------------------------------------------- removing documents


@dataclass
class RemoveReport:
    """What :func:`remove_documents` did; ``to_json`` gives the ``assistant remove --json`` contract."""

    collection: str
    removed: list[str] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)
    sync: SyncReport | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"collection": self.collection, "removed": self.removed, "missing": self.missing,
                "sync": self.sync.to_json() if self.sync else None, "seconds": round(self.seconds, 3)}


def find_document(settings: Settings, collection: str, doc: str) -> str:
    """The relative path of a document named by path, file name or (unique) title.

    Raises
    ------
    LibraryError
        When nothing, or more than one document, matches.
    """
    rows = list_documents(settings, collection)
    for key in ("file", "name", "title"):
        if key == "name":
            matches = [r["file"] for r in rows if Path(r["file"]).name == doc]
        else:
            matches = [r["file"] for r in rows if str(r[key]) == doc]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise LibraryError(f"{doc!r} matches several documents ({', '.join(matches)}): give the file path")
    raise LibraryError(f"no document {doc!r} in collection {collection!r}: see the Library tab or `assistant search`")


def remove_documents(
    settings: Settings, docs: Sequence[str], collection: str | None = None, progress: SyncProgress | None = None
) -> RemoveReport:
    """Delete documents from a collection's folder and sync, so no search returns them again.

    Files are first moved aside; they are deleted once the sync has published, or moved back
    if it fails.
    """
    started = time.perf_counter()
    progress = progress or SyncProgress()
    name = collection or settings.collection
    paths = CollectionPaths(settings, name)
    folder = collection_folder(settings, name)
    if folder is None or not paths.exists():
        raise LibraryError(f"no collection named {name!r}: see `assistant collections`")
    report = RemoveReport(name)
    sources = []
    for doc in docs:
        try:
            sources.append(find_document(settings, name, doc))
        except LibraryError as exc:
            report.missing.append({"doc": doc, "error": str(exc)})
    if sources:
        with collection_lock(paths, settings.lock_timeout, progress):
            report.sync = _remove_and_sync(settings, paths, folder.resolve(), sorted(set(sources)), progress)
        report.removed = sorted(set(sources))
    report.seconds = time.perf_counter() - started
    return report


def _remove_and_sync(settings, paths, folder: Path, sources: list[str], progress: SyncProgress) -> SyncReport:
    aside: dict[Path, Path] = {}
    try:
        for source in sources:
            path = (folder / source).resolve()
            if path.is_relative_to(folder) and path.is_file():
                hidden = path.with_name(f".{path.name}.{uuid.uuid4().hex}.removed")
                path.replace(hidden)
                aside[path] = hidden
        sync = sync_locked(settings, paths, folder, False, progress)
    except BaseException:
        for path, hidden in aside.items():
            hidden.replace(path)
        raise
    for hidden in aside.values():
        hidden.unlink(missing_ok=True)
    return sync


# ---------------------------------------------------------------- watching folders


class FolderWatcher:
    """Syncs collections whose folders change, after ``debounce`` seconds of quiet.

    Events for hidden files and unsupported types are ignored. Each collection syncs in a
    background thread, at most one at a time; changes arriving during a sync cause one more.
    ``on_sync(name, report, error)`` is called after each sync (``report`` or ``error`` is None).
    """

    def __init__(self, settings: Settings, folders: dict[str, Path], debounce: float = 1.0,
                 on_sync: Callable[[str, SyncReport | None, Exception | None], None] | None = None) -> None:
        self.settings = settings
        self.folders = {name: folder.resolve() for name, folder in folders.items()}
        self.debounce = debounce
        self.on_sync = on_sync or (lambda name, report, error: None)
        self._state = threading.Lock()
        self._timers: dict[str, threading.Timer] = {}
        self._running: set[str] = set()
        self._pending: set[str] = set()
        self._stopped = False
        self._observer = None

    def start(self) -> FolderWatcher:
        from watchdog.observers import Observer

        self._observer = Observer()
        for name, folder in self.folders.items():
            self._observer.schedule(_Handler(self, name, folder), str(folder), recursive=True)
        self._observer.daemon = True
        self._observer.start()
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
    names = list(collections) if collections is not None else [r["name"] for r in collections_overview(settings)]
    folders = {}
    for name in names:
        folder = collection_folder(settings, name)
        if folder is not None and folder.is_dir():
            folders[name] = folder
    watcher = FolderWatcher(settings, folders, debounce, on_sync).start()
    for name in folders:  # catch up with changes made while nobody was watching
        watcher.poke(name)
    return watcher.stop
