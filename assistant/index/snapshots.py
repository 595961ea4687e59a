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
from assistant.types import Chunk

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


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
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


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
        manifest last: a folder with a manifest is complete."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        if write_indexes is not None:
            write_indexes(self.folder)
        atomic_write(self.folder / "manifest.json", json.dumps(self.manifest, indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        chunks = []
        with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
            for line in fh:
                chunks.append(Chunk(**json.loads(line)))
        return cls(folder, manifest, chunks)


class CollectionPaths:
    """Where a collection's files live under the data folder."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.name = check_collection_name(name)
        self.root = settings.collections_dir / name
        self.info = self.root / "collection.json"
        self.current = self.root / "current"
        self.snapshots = self.root / "snapshots"
        self.lock = self.root / "sync.lock"
        self.lock_owner = self.root / "sync.owner"

    def exists(self) -> bool:
        return self.info.exists()

    def read_info(self) -> dict[str, Any]:
        return json.loads(self.info.read_text(encoding="utf-8")) if self.info.exists() else {}

    def current_snapshot(self) -> Snapshot | None:
        if not self.current.exists():
            return None
        folder = self.snapshots / self.current.read_text(encoding="utf-8").strip()
        return Snapshot.load(folder) if (folder / "manifest.json").exists() else None

    def new_snapshot_folder(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        return self.snapshots / f"{stamp}-{uuid.uuid4().hex[:8]}"

    def publish(self, snapshot: Snapshot) -> None:
        atomic_write(self.current, snapshot.folder.name)

    def prune(self, keep: Snapshot) -> None:
        for folder in self.snapshots.glob("*"):
            if folder.is_dir() and folder.name != keep.folder.name:
                shutil.rmtree(folder, ignore_errors=True)
