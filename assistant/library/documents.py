"""The documents of a collection: list, add (checked uploads), remove.

The CLI (``assistant add``, ``remove``) and the web app's Library tab are thin layers over
these functions.

Every change to a collection's folder happens while holding the collection's sync lock, and
is followed by a sync in the same locked step; when the sync fails the folder is put back as it
was (copied files removed, removed files restored), so the index and the folder stay in step
and the previous snapshot keeps answering. Uploads are checked by content (magic bytes, zip
layout, text decoding) and loaded once before anything is copied
(:mod:`assistant.ingest.uploads`).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import LibraryError, UploadError
from assistant.index.catalog import collection_folder
from assistant.index.faults import failpoint
from assistant.index.locking import collection_lock
from assistant.index.progress import SyncProgress
from assistant.index.snapshots import CollectionPaths, file_sha256
from assistant.index.sync import SyncReport, scan_folder, sync_locked
from assistant.ingest.uploads import check_upload, safe_name
from assistant.library.collections import target_folder


def list_documents(settings: Settings, name: str) -> list[dict[str, Any]]:
    """Documents of a collection: indexed ones with their metadata, then files not yet indexed."""
    paths = CollectionPaths(settings, name)
    snapshot = paths.current_snapshot(check_store=False)
    files = snapshot.manifest.get("files", {}) if snapshot else {}
    rows = []
    for source, entry in files.items():
        meta = entry.get("metadata", {})
        rows.append(
            {
                "file": source,
                "title": meta.get("title") or source,
                "author": meta.get("author", ""),
                "year": meta.get("year", ""),
                "language": meta.get("language", ""),
                "kind": meta.get("kind", ""),
                "chunks": entry.get("chunks", 0),
                "indexed_at": entry.get("indexed_at", ""),
                "size": entry.get("size", 0),
                "status": "indexed",
            }
        )
    folder = collection_folder(settings, name)
    if folder is not None and folder.is_dir():
        for source, path in scan_folder(folder)[0].items():
            if source not in files:
                rows.append(
                    {
                        "file": source,
                        "title": source,
                        "author": "",
                        "year": "",
                        "language": "",
                        "kind": "",
                        "chunks": 0,
                        "indexed_at": "",
                        "size": path.stat().st_size,
                        "status": "not indexed",
                    }
                )
    return sorted(rows, key=lambda r: (r["status"] != "indexed", str(r["title"]).lower()))


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
        return {
            "collection": self.collection,
            "folder": self.folder,
            "created": self.created,
            "added": self.added,
            "duplicates": self.duplicates,
            "refused": self.refused,
            "sync": self.sync.to_json() if self.sync else None,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Candidate:
    path: Path
    label: str
    name: str
    sha256: str
    title: str


def _validate_all(
    settings: Settings, files: Sequence[Path], labels: Sequence[str], report: AddReport, progress: SyncProgress
) -> list[_Candidate]:
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
    snapshot = paths.current_snapshot(check_store=False)
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
    tmp = folder / f".{name}.{uuid.uuid4().hex}.part"  # hidden: a sync skips it
    shutil.copyfile(source, tmp)
    failpoint("upload:copied")  # the copy is whole under its temporary name, not yet renamed
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
    target, created = target_folder(settings, paths, folder)
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


def _copy_and_sync(
    settings, paths, target: Path, accepted: list[_Candidate], report: AddReport, progress: SyncProgress
) -> SyncReport:
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


@dataclass
class RemoveReport:
    """What :func:`remove_documents` did; ``to_json`` gives the ``assistant remove --json`` contract."""

    collection: str
    removed: list[str] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)
    sync: SyncReport | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "removed": self.removed,
            "missing": self.missing,
            "sync": self.sync.to_json() if self.sync else None,
            "seconds": round(self.seconds, 3),
        }


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
