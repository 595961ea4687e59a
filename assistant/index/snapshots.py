"""Per-collection snapshots: manifests, chunk records, and the atomic switch between them.

Layout under the data folder::

    chroma/                         Chroma PersistentClient (unless a Chroma host is set)
    cache/vectors.sqlite            passage vectors by (embedder id, text hash)
    collections/<name>/collection.json   the collection's folder and creation date
    collections/<name>/current      id of the snapshot that answers queries
    collections/<name>/snapshots/<id>/{manifest.json, chunks.jsonl, lexical/}

A sync writes new vectors into Chroma first, then a complete new snapshot, then switches
``current`` with an atomic rename, and only then deletes what the old snapshot alone used.
Readers only trust chunk ids listed in the current snapshot, so a sync killed at any point
leaves the previous index answering; the next sync finishes the job.

A damaged file (truncated, not JSON, a snapshot folder gone) raises :class:`DamagedIndex`, whose
message names the file and says to run ``assistant index --rebuild``: the manifest records the
size of every file of its snapshot (``written``), so a truncated chunk list or BM25 file is caught
on load, not as a wrong answer later.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import StoreError
from assistant.index.chroma import store_label
from assistant.types import Chunk

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class DamagedIndex(StoreError):
    """A collection file that cannot be read; the message names it and says to rebuild."""

    def __init__(self, name: str, path: Path, reason: object) -> None:
        self.collection, self.path = name, path
        super().__init__(
            f"collection {name!r} is damaged: {path} cannot be read ({reason}); "
            f"run `assistant index --collection {name} --rebuild` to rebuild it from its reading files"
        )


def check_collection_name(name: str) -> str:
    """Return ``name`` if usable as a collection name, else raise :class:`StoreError`."""
    if not _NAME.match(name or "") or ".." in name:
        raise StoreError(
            f"invalid collection name {name!r}: use letters, digits, '.', '_' or '-' (max 63), starting with a letter or digit"
        )
    return name


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def atomic_write(path: Path, text: str) -> None:
    """Write a file so readers see either the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # e.g. the disk is full: leave no partial file behind
        raise


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Snapshot:
    """One complete, immutable version of a collection's index."""

    folder: Path
    manifest: dict[str, Any]
    chunks: list[Chunk] = field(default_factory=list)

    @property
    def embedder(self) -> str:
        return self.manifest["embedder"]

    def save(self, write_indexes: Callable[[Path], None] | None = None) -> None:
        """Write the chunk records, then ``write_indexes(folder)`` (e.g. the BM25 index), then the
        manifest last, with the size of every file written: a folder with a manifest is complete."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        if write_indexes is not None:
            write_indexes(self.folder)
        self.manifest["written"] = {
            f.relative_to(self.folder).as_posix(): f.stat().st_size
            for f in sorted(self.folder.rglob("*"))
            if f.is_file()
        }
        atomic_write(self.folder / "manifest.json", json.dumps(self.manifest, indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path, name: str = "") -> Snapshot:
        """Read a snapshot; :class:`DamagedIndex` when a file is missing, truncated or unreadable."""
        name = name or folder.parent.parent.name
        path = folder / "manifest.json"
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict) or not {"embedder", "chroma_collection", "files"} <= manifest.keys():
                raise ValueError("not a manifest")
            for rel, size in manifest.get("written", {}).items():
                path = folder / rel
                if path.stat().st_size != size:
                    raise ValueError(f"{path.stat().st_size} bytes instead of {size}")
            path = folder / "chunks.jsonl"
            chunks = []
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    chunks.append(Chunk(**json.loads(line)))
        except (OSError, ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise DamagedIndex(name, path, exc) from exc
        return cls(folder, manifest, chunks)


class CollectionPaths:
    """Where a collection's files live under the data folder."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.name = check_collection_name(name)
        self.store = store_label(settings)
        self.root = settings.collections_dir / name
        self.info = self.root / "collection.json"
        self.current = self.root / "current"
        self.snapshots = self.root / "snapshots"
        self.lock = self.root / "sync.lock"
        self.lock_owner = self.root / "sync.owner"

    def exists(self) -> bool:
        return self.info.exists()

    def read_info(self) -> dict[str, Any]:
        """``collection.json`` ({} before the first sync); :class:`DamagedIndex` when unreadable."""
        try:
            info = json.loads(self.info.read_text(encoding="utf-8")) if self.info.exists() else {}
            if not isinstance(info, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            raise DamagedIndex(self.name, self.info, exc) from exc
        return info

    def current_snapshot(self, check_store: bool = True) -> Snapshot | None:
        """The snapshot that answers, or None before the first sync.

        Raises :class:`DamagedIndex` when ``current`` names a snapshot that is gone or damaged.
        A sync that switches snapshots while this reads (and prunes the old one) is not damage:
        the read is retried on the new one. With ``check_store``, a snapshot whose vectors are in
        another Chroma store than the settings name (switched to or from a server) is a
        :class:`StoreError` that says to sync.
        """
        snapshot = self._load_current()
        recorded = snapshot.manifest.get("chroma_store", "local") if snapshot else self.store
        if check_store and recorded != self.store:
            raise StoreError(
                f"collection {self.name!r} was indexed into the Chroma store {recorded}, but the settings now "
                f"use {self.store}: run `assistant index --collection {self.name}` to store its vectors there"
            )
        return snapshot

    def _load_current(self) -> Snapshot | None:
        for _ in range(3):
            if not self.current.exists():
                return None
            current = self.current.read_text(encoding="utf-8").strip()
            try:
                if not current or not (self.snapshots / current / "manifest.json").is_file():
                    raise DamagedIndex(self.name, self.current, f"it names a snapshot that does not exist: {current!r}")
                return Snapshot.load(self.snapshots / current, self.name)
            except DamagedIndex:
                if self.current.exists() and self.current.read_text(encoding="utf-8").strip() != current:
                    continue  # switched to a newer snapshot while reading: read that one
                raise
        raise StoreError(f"collection {self.name!r} changes faster than it can be read: try again")

    def new_snapshot_folder(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        return self.snapshots / f"{stamp}-{uuid.uuid4().hex[:8]}"

    def publish(self, snapshot: Snapshot) -> None:
        atomic_write(self.current, snapshot.folder.name)

    def prune(self, keep: Snapshot) -> None:
        for folder in self.snapshots.glob("*"):
            if folder.is_dir() and folder.name != keep.folder.name:
                shutil.rmtree(folder, ignore_errors=True)
