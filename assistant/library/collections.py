"""Collections as the user manages them: their folders, the overview, creating and removing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import LibraryError
from assistant.index.catalog import check_folder_free, collection_folder, list_collections
from assistant.index.chroma import chroma_client, chroma_slug, slug_chroma_names
from assistant.index.locking import collection_lock
from assistant.index.progress import SyncProgress
from assistant.index.snapshots import CollectionPaths, DamagedIndex, check_collection_name


def library_folder(settings: Settings, name: str) -> Path:
    """Folder of a collection created by adding files: ``data_dir/library/<name>``."""
    return settings.data_dir / "library" / check_collection_name(name)


def is_managed(settings: Settings, folder: Path) -> bool:
    """True when ``folder`` lies under the data folder (so its files are ours to delete)."""
    return folder.expanduser().resolve().is_relative_to(settings.data_dir.expanduser().resolve())


def collections_overview(settings: Settings) -> list[dict[str, Any]]:
    """Every collection with document and chunk counts, embedder, last sync and folder.

    The default collection is listed (with zero counts) even before its first sync. A damaged
    collection is listed with its message under ``damaged`` (and no counts).
    """
    rows = list_collections(settings, damaged=True)
    if settings.collection not in {r["name"] for r in rows}:
        rows.append(
            {
                "name": settings.collection,
                "folder": str(settings.knowledge_dir.resolve()),
                "documents": 0,
                "chunks": 0,
                "embedder": "",
                "synced_at": "",
            }
        )
    for row in rows:
        row.setdefault("damaged", None)
        row["default"] = row["name"] == settings.collection
        row["managed"] = bool(row["folder"]) and is_managed(settings, Path(row["folder"]))
    return sorted(rows, key=lambda r: (not r["default"], r["name"]))


def target_folder(settings: Settings, paths: CollectionPaths, folder: Path | None) -> tuple[Path, bool]:
    """The folder files are added to, and whether the collection is new (folder checked)."""
    current = collection_folder(settings, paths.name)
    if paths.exists() and current is not None:
        if folder is not None and folder.expanduser().resolve() != current.resolve():
            raise LibraryError(f"collection {paths.name!r} already uses folder {current}: leave out --knowledge")
        return current.resolve(), False
    folder = (folder or current or library_folder(settings, paths.name)).expanduser().resolve()
    check_folder_free(settings, paths.name, folder)
    return folder, True


def _delete_chroma(settings: Settings, name: str, target: str | None) -> None:
    """Delete the collection's Chroma collection: ``target`` from its snapshot or, when the snapshot
    is damaged (``None``), every Chroma collection of its slug unless another collection shares the
    slug (its vectors are then kept; they cannot be told apart)."""
    if target is None and any(
        row["name"] != name and chroma_slug(row["name"]) == chroma_slug(name) for row in list_collections(settings)
    ):
        return
    try:
        client = chroma_client(settings)
        for chroma in [target] if target else slug_chroma_names(client, name):
            client.delete_collection(chroma)
    except Exception:  # already gone, or the store itself is damaged: nothing more to delete
        pass


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
    try:
        folder = collection_folder(settings, name)
    except DamagedIndex:  # a damaged collection can be removed; its folder is then kept
        folder = None
    with collection_lock(paths, settings.lock_timeout, SyncProgress()):
        try:
            snapshot = paths.current_snapshot(check_store=False)
        except DamagedIndex:
            snapshot = None
        target = snapshot.manifest.get("chroma_collection") if snapshot else None
        _delete_chroma(settings, name, target)
        for item in (paths.current, paths.info):
            item.unlink(missing_ok=True)
        shutil.rmtree(paths.snapshots, ignore_errors=True)
    shutil.rmtree(paths.root, ignore_errors=True)
    managed = folder is not None and is_managed(settings, folder)
    if folder is not None and managed and folder.exists():
        shutil.rmtree(folder)
    return {
        "collection": name,
        "chroma_collection": target,
        "index_removed": True,
        "folder": str(folder or ""),
        "files_removed": managed,
    }
