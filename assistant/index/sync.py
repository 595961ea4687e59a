"""Incremental sync of a folder of readings into a collection (Chroma + BM25)."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import IngestError, StoreError
from assistant.index.catalog import collection_folder, record_folder
from assistant.index.chroma import chroma_client, chroma_collection, chroma_name, set_store_aside, store_label
from assistant.index.chunking import CHUNKER_VERSION, chunk_document
from assistant.index.embeddings import load_embedder
from assistant.index.faults import disk_full_is_clear, failpoint
from assistant.index.locking import collection_lock
from assistant.index.progress import SyncProgress
from assistant.index.publish import embed_and_store, publish
from assistant.index.snapshots import CollectionPaths, DamagedIndex, Snapshot, file_sha256, now_iso
from assistant.ingest.formats import SKIPPED_NAMES, SUPPORTED_SUFFIXES
from assistant.ingest.loaders import load_reading
from assistant.text.glossary import COLLECTION_GLOSSARY, parse_extra_terms
from assistant.types import Chunk


@dataclass
class SyncReport:
    """What a sync did. ``to_json`` gives the CLI contract."""

    collection: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
            "failed": self.failed,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "embedded": self.embedded,
            "ignored": self.ignored,
            "messages": self.messages,
            "files": {"added": self.added, "updated": self.updated, "removed": self.removed},
        }


def scan_folder(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """Readable files under ``folder`` by relative path, and the ignored ones."""
    found: dict[str, Path] = {}
    ignored: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts) or not path.is_file():
            continue
        if rel == COLLECTION_GLOSSARY:
            continue  # the folder's own glossary terms: read by sync_locked, not a reading
        if path.suffix.lower() not in SUPPORTED_SUFFIXES or path.name.lower() in SKIPPED_NAMES:
            ignored.append(rel)
            continue
        found[rel] = path
    return found, ignored


def resolve_folder(settings: Settings, paths: CollectionPaths, folder: Path | None, rebuild: bool = False) -> Path:
    """The collection's reading folder: given, recorded, or the default knowledge folder.

    With ``rebuild``, a damaged ``collection.json`` is no obstacle: the folder is the one given,
    the default one, or the one a snapshot's manifest recorded.
    """
    try:
        folder = folder or collection_folder(settings, paths.name)
    except DamagedIndex:
        if not rebuild:
            raise
        folder = _recorded_folder(settings, paths)
    if folder is None:
        raise StoreError(f"collection {paths.name!r} has no folder yet: pass --knowledge DIR")
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise StoreError(f"reading folder {folder} does not exist: create it or pass --knowledge DIR")
    return folder


def _recorded_folder(settings: Settings, paths: CollectionPaths) -> Path | None:
    """The reading folder of a collection whose ``collection.json`` is damaged: the default one
    for the default collection, else the newest readable manifest's."""
    if paths.name == settings.collection:
        return settings.knowledge_dir
    for manifest in sorted(paths.snapshots.glob("*/manifest.json"), reverse=True):
        try:
            recorded = json.loads(manifest.read_text(encoding="utf-8")).get("folder")
        except (OSError, ValueError, AttributeError):
            continue
        if recorded:
            return Path(recorded)
    return None


def _previous(paths: CollectionPaths, rebuild: bool, report: SyncReport, progress: SyncProgress) -> Snapshot | None:
    """The snapshot that answers now; None when there is none, or when it is damaged and a
    rebuild was asked for (then ``collection.json`` is rewritten too)."""
    try:
        paths.read_info()
        return paths.current_snapshot(check_store=False)
    except DamagedIndex as exc:
        if not rebuild:
            raise
        message = f"{exc.path} was damaged: rebuilding the collection from its reading files"
        report.messages.append(message)
        progress.message(message)
        if exc.path == paths.info:
            paths.info.unlink(missing_ok=True)
            return _previous(paths, rebuild, report, progress)
        return None


def _full_rebuild_reason(old: Snapshot | None, embedder: str, chunking: dict[str, int], rebuild: bool) -> str | None:
    if old is None:
        return None
    if rebuild:
        return "rebuild requested: re-embedding every file"
    if old.manifest.get("embedder") != embedder:
        return f"embedder changed from {old.manifest.get('embedder')} to {embedder}: re-embedding every file"
    if old.manifest.get("chunking") != chunking:
        return f"chunking changed from {old.manifest.get('chunking')} to {chunking}: re-chunking every file"
    return None


@dataclass
class _Plan:
    """Chunks of the next snapshot, split by whether Chroma already holds them."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: list[Chunk] = field(default_factory=list)
    fresh: list[Chunk] = field(default_factory=list)


def _plan(settings, folder, old, full, report, progress) -> _Plan:
    """Read changed files, reuse unchanged ones, keep the old version of files that now fail."""
    plan = _Plan()
    found, report.ignored = scan_folder(folder)
    old_files = old.manifest["files"] if old else {}
    old_chunks: dict[str, list[Chunk]] = {}
    for chunk in old.chunks if old else []:
        old_chunks.setdefault(chunk.source, []).append(chunk)
    progress.start("reading", len(found))
    for source, path in found.items():
        sha = file_sha256(path)
        before = old_files.get(source)
        if before and before["sha256"] == sha and not full:
            report.unchanged.append(source)
            plan.files[source] = before
            plan.kept.extend(old_chunks.get(source, []))
        else:
            _read_one(settings, source, path, sha, before, old_chunks.get(source, []), plan, report)
        progress.advance()
    report.removed = sorted(set(old_files) - set(found))
    return plan


def _read_one(settings, source, path, sha, before, previous, plan, report) -> None:
    try:
        document = load_reading(settings, path, source)  # limits, no link out of the folder
        chunks = chunk_document(document, settings.chunk_size, settings.chunk_overlap)
    except IngestError as exc:
        report.failed.append({"path": source, "error": str(exc)})
        if before:  # nothing already indexed is lost
            plan.files[source] = before
            plan.fresh.extend(previous)
        return
    (report.updated if before else report.added).append(source)
    meta = {k: v for k, v in document.metadata.items() if isinstance(v, (str, int, float, bool, list))}
    plan.files[source] = {
        "sha256": sha,
        "size": path.stat().st_size,
        "indexed_at": now_iso(),
        "chunks": len(chunks),
        "metadata": json.loads(json.dumps(meta, default=str)),
    }
    plan.fresh.extend(chunks)


def sync_collection(
    settings: Settings,
    name: str | None = None,
    folder: Path | None = None,
    rebuild: bool = False,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Bring a collection's index in step with its folder.

    New files are added, changed ones re-embedded, removed ones dropped from Chroma and BM25;
    unchanged files are not read again. Changing the embedder or chunking re-embeds everything.
    The previous snapshot keeps answering until the new one is complete.

    Raises
    ------
    StoreError
        For a missing folder, a bad name or a collection busy with another sync.
    """
    progress = progress or SyncProgress()
    paths = CollectionPaths(settings, name or settings.collection)
    folder = resolve_folder(settings, paths, folder, rebuild)
    with disk_full_is_clear(settings.data_dir), collection_lock(paths, settings.lock_timeout, progress):
        return sync_locked(settings, paths, folder, rebuild, progress)


def sync_locked(
    settings: Settings,
    paths: CollectionPaths,
    folder: Path,
    rebuild: bool = False,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """:func:`sync_collection` for a caller that already holds :func:`collection_lock`.

    Lets a caller change the folder and sync in one locked step (see ``assistant.library``).
    A new collection, or a changed folder, is recorded in ``collection.json`` after checking
    that the folder does not nest with another collection's.
    """
    with disk_full_is_clear(settings.data_dir):
        return _sync(settings, paths, folder, rebuild, progress or SyncProgress())


def _sync(
    settings: Settings, paths: CollectionPaths, folder: Path, rebuild: bool, progress: SyncProgress
) -> SyncReport:
    started = time.perf_counter()
    report = SyncReport(paths.name)
    old = _previous(paths, rebuild, report, progress)
    record_folder(settings, paths, folder)
    chunking = {"size": settings.chunk_size, "overlap": settings.chunk_overlap, "version": CHUNKER_VERSION}
    reason = _full_rebuild_reason(old, settings.embedder, chunking, rebuild)  # an embedder's id is its name
    moved = old is not None and reason is None and old.manifest.get("chroma_store", "local") != store_label(settings)
    for text in (reason, _store_moved(old, settings) if moved else None):
        if text:
            report.messages.append(text)
            progress.message(text)
    plan = _plan(settings, folder, old, reason is not None, report, progress)
    terms, terms_entry = _read_glossary(folder, old, report)
    terms_changed = old is not None and old.manifest.get("glossary") != terms_entry
    if (
        old is not None
        and reason is None
        and not moved
        and not (plan.fresh or report.added or report.updated or report.removed or terms_changed)
    ):
        report.chunks = len(old.chunks)  # nothing changed: keep the current snapshot, load no model
        if any(f.name != old.folder.name for f in paths.snapshots.iterdir()):
            _finish_interrupted(settings, old, paths, report)
    else:
        _publish_plan(
            settings, paths, folder, old, plan, chunking, (terms, terms_entry), report, progress, rebuild=rebuild
        )
    report.seconds = time.perf_counter() - started
    return report


def _store_moved(old: Snapshot | None, settings: Settings) -> str:
    before = old.manifest.get("chroma_store", "local") if old else "local"
    return f"Chroma store changed from {before} to {store_label(settings)}: storing every chunk there (vectors from the cache)"


def _open_store(settings: Settings, rebuild: bool, report: SyncReport):
    """The Chroma client; with ``rebuild``, a local store that cannot be opened is moved aside."""
    try:
        return chroma_client(settings)
    except StoreError:
        if not rebuild or settings.chroma_host or not (settings.data_dir / "chroma").exists():
            raise
    aside = set_store_aside(settings)
    report.messages.append(f"the Chroma store could not be opened: moved to {aside}, storing every chunk in a new one")
    return chroma_client(settings)


def _publish_plan(
    settings: Settings,
    paths: CollectionPaths,
    folder: Path,
    old: Snapshot | None,
    plan: _Plan,
    chunking: dict,
    glossary: tuple[str, dict | None],
    report: SyncReport,
    progress: SyncProgress,
    *,
    rebuild: bool = False,
) -> None:
    """Embed what Chroma lacks, publish the plan's snapshot, then drop what only older ones used."""
    terms, terms_entry = glossary
    embedder = load_embedder(settings.embedder)
    target = chroma_name(paths.name, embedder.id, embedder.dim)
    same_store = (
        old is not None
        and old.manifest.get("chroma_collection") == target
        and old.manifest.get("chroma_store", "local") == store_label(settings)
    )
    to_store = plan.fresh if same_store else plan.kept + plan.fresh
    client = _open_store(settings, rebuild, report)
    collection = chroma_collection(client, target)
    manifest = {
        "collection": paths.name,
        "folder": str(folder),
        "embedder": embedder.id,
        "dim": embedder.dim,
        "chroma_collection": target,
        "chroma_store": store_label(settings),
        "chunking": chunking,
        "synced_at": now_iso(),
        "files": plan.files,
        "glossary": terms_entry,
    }
    snapshot, report.embedded = publish(
        settings,
        paths,
        embedder,
        collection,
        plan.kept + plan.fresh,
        manifest,
        store=to_store,
        files={COLLECTION_GLOSSARY: terms} if terms else None,
        progress=progress,
    )
    failpoint("sync:published")
    _clean_up(client, collection, old, snapshot, paths)
    report.chunks = len(snapshot.chunks)


def _finish_interrupted(settings: Settings, current: Snapshot, paths: CollectionPaths, report: SyncReport) -> None:
    """A sync was stopped after publishing (or with a snapshot it never published): store the
    snapshot's vectors again from the cache (embedded Chroma may not have kept every vector of a
    process killed right after writing them), then drop the vectors and snapshot folders only
    that sync used, as it would have."""
    client = chroma_client(settings)
    name, embedder = current.manifest["chroma_collection"], load_embedder(current.embedder)
    collection = chroma_collection(client, name)
    try:
        report.embedded = embed_and_store(settings, embedder, collection, current.chunks)
        for i in range(0, len(current.chunks), 5000):  # every vector can be read back by id
            collection.get(ids=[c.id for c in current.chunks[i : i + 5000]], include=["embeddings"])
    except Exception:  # Chroma's own index of that collection is damaged: store it anew
        client.delete_collection(name)
        collection = chroma_collection(client, name)
        report.embedded = embed_and_store(settings, embedder, collection, current.chunks)
    _clean_up(client, collection, None, current, paths)
    report.messages.append("finished an interrupted sync: vectors stored again, leftovers removed")


def _read_glossary(folder: Path, old: Snapshot | None, report: SyncReport) -> tuple[str, dict | None]:
    """The folder's ``glossary.tsv`` text and its manifest entry (sha256, rows); ("", None) when
    there is none.

    A malformed file is reported as failed and the previous snapshot's glossary is kept.
    """
    path = folder / COLLECTION_GLOSSARY
    if not path.is_file():
        return "", None
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        rows = len(parse_extra_terms(text))
    except ValueError as exc:
        report.failed.append({"path": COLLECTION_GLOSSARY, "error": str(exc)})
        if old is not None and (old.folder / COLLECTION_GLOSSARY).is_file():
            return (old.folder / COLLECTION_GLOSSARY).read_text(encoding="utf-8"), old.manifest.get("glossary")
        return "", None
    return text, {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "rows": rows}


def _clean_up(client, collection, old: Snapshot | None, snapshot: Snapshot, paths: CollectionPaths) -> None:
    """After publishing: drop vectors only older snapshots used, then the old snapshots."""
    keep = {c.id for c in snapshot.chunks}
    stale = [cid for cid in collection.get(include=[])["ids"] if cid not in keep]
    for i in range(0, len(stale), 1000):
        collection.delete(ids=stale[i : i + 1000])
    if old and old.manifest.get("chroma_collection") not in (None, snapshot.manifest["chroma_collection"]):
        try:
            client.delete_collection(old.manifest["chroma_collection"])
        except Exception:  # already gone: nothing to clean
            pass
    paths.prune(snapshot)
