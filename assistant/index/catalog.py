"""The collections in the data folder: their recorded reading folders, the check that folders
never nest, and the listing with counts."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import StoreError
from assistant.index.snapshots import CollectionPaths, DamagedIndex, atomic_write, now_iso

log = logging.getLogger(__name__)


def collection_folder(settings: Settings, name: str) -> Path | None:
    """The reading folder of a collection: the one recorded in its ``collection.json``, else the
    default knowledge folder for the default collection, else None.

    The one resolver of a collection's folder (sync, library, folder checks and watching use it).
    """
    recorded = CollectionPaths(settings, name).read_info().get("folder")
    if recorded:
        return Path(recorded)
    return settings.knowledge_dir if name == settings.collection else None


def collection_folders(settings: Settings) -> dict[str, Path]:
    """Reading folder of every collection (resolved): recorded ones, plus the default collection's."""
    root = settings.collections_dir
    names = [info.parent.name for info in sorted(root.glob("*/collection.json"))] if root.exists() else []
    folders = {}
    for name in dict.fromkeys([*names, settings.collection]):
        try:
            folder = collection_folder(settings, name)
        except DamagedIndex as exc:  # reported where that collection is used; the others go on
            log.warning("%s", exc)
            continue
        if folder is not None:
            folders[name] = folder.expanduser().resolve()
    return folders


def check_folder_free(settings: Settings, name: str, folder: Path) -> None:
    """Refuse a folder that is, contains or lies inside another collection's folder.

    Raises
    ------
    StoreError
        Naming the other collection, so the user can pick another folder.
    """
    folder = folder.expanduser().resolve()
    for other, theirs in collection_folders(settings).items():
        if other == name:
            continue
        if folder == theirs:
            raise StoreError(
                f"folder {folder} already belongs to collection {other!r}: use that collection or another folder"
            )
        if folder.is_relative_to(theirs):
            raise StoreError(
                f"folder {folder} lies inside collection {other!r}'s folder {theirs}: pick a folder outside it"
            )
        if theirs.is_relative_to(folder):
            raise StoreError(
                f"folder {folder} contains collection {other!r}'s folder {theirs}: pick a folder that does not"
            )


def record_folder(settings: Settings, paths: CollectionPaths, folder: Path) -> None:
    """Write ``collection.json`` for a new collection, or when its folder changed (checked first)."""
    info = paths.read_info()
    if info and info.get("folder") and Path(info["folder"]).resolve() == folder.resolve():
        return
    check_folder_free(settings, paths.name, folder)
    info = {"name": paths.name, "created": now_iso(), **info, "folder": str(folder.resolve())}
    atomic_write(paths.info, json.dumps(info))


def list_collections(settings: Settings, damaged: bool = False) -> list[dict[str, Any]]:
    """Every collection in the data folder with counts, embedder and last sync.

    A damaged collection (a file that cannot be read) is left out, with a warning in the log, so
    the others stay usable; with ``damaged=True`` it is listed too, with zero counts and the
    message (naming the file, saying to rebuild) under ``damaged``.
    """
    rows = []
    root = settings.collections_dir
    for info in sorted(root.glob("*/collection.json")) if root.exists() else []:
        paths = CollectionPaths(settings, info.parent.name)
        try:
            folder = paths.read_info().get("folder", "")
            snapshot = paths.current_snapshot(check_store=False)
        except DamagedIndex as exc:
            log.warning("%s", exc)
            if damaged:
                rows.append({"name": paths.name, "folder": "", "documents": 0, "chunks": 0, "embedder": ""})
                rows[-1].update(synced_at="", damaged=str(exc))
            continue
        manifest = snapshot.manifest if snapshot else {}
        rows.append(
            {
                "name": paths.name,
                "folder": folder,
                "documents": len(manifest.get("files", {})),
                "chunks": len(snapshot.chunks) if snapshot else 0,
                "embedder": manifest.get("embedder", ""),
                "synced_at": manifest.get("synced_at", ""),
            }
        )
    return rows
