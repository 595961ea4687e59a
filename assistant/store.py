"""Chroma vector store, per-collection manifests and snapshots, and incremental sync.

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
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.types import Chunk

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class StoreError(Exception):
    """A problem with a collection or the store; the message says what to do."""


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


# ---------------------------------------------------------------- Chroma


def chroma_client(settings: Settings):
    """A Chroma client: HTTP when ``chroma_host`` is set, else on disk under the data folder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as exc:
            raise StoreError(
                f"cannot reach Chroma at {settings.chroma_host}:{settings.chroma_port} ({exc}): start it or unset ASSISTANT_CHROMA_HOST"
            ) from exc
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def chroma_name(collection: str, embedder: str, dim: int) -> str:
    """Chroma collection name for a reading collection embedded by one embedder.

    The hash covers the exact collection name, so names that slug alike ("Readings" and
    "readings") never share a Chroma collection.
    """
    tag = hashlib.sha1(f"{collection}|{embedder}|{dim}".encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9_-]+", "-", collection.lower()).strip("-_")[:40] or "c"
    return f"rc-{slug}-{tag}"


def chroma_collection(client, name: str):
    return client.get_or_create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})


def chroma_metadata(chunk: Chunk) -> dict[str, Any]:
    meta = {k: v for k, v in chunk.metadata.items() if isinstance(v, (str, int, float, bool))}
    meta.update(source=chunk.source, start=chunk.start, end=chunk.end)
    return meta


def chroma_add(collection, chunks: list[Chunk], vectors, batch: int = 512) -> None:
    for i in range(0, len(chunks), batch):
        part = chunks[i:i + batch]
        collection.upsert(
            ids=[c.id for c in part],
            embeddings=vectors[i:i + batch],
            documents=[c.text for c in part],
            metadatas=[chroma_metadata(c) for c in part],
        )


# ---------------------------------------------------------------- snapshots


@dataclass
class Snapshot:
    """One complete, immutable version of a collection's index."""

    folder: Path
    manifest: dict[str, Any]
    chunks: list[Chunk] = field(default_factory=list)

    @property
    def embedder(self) -> str:
        return self.manifest["embedder"]

    def save(self) -> None:
        from assistant.lexical import LexicalIndex

        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
        LexicalIndex.build([c.id for c in self.chunks], [c.text for c in self.chunks]).save(self.folder / "lexical")
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


def collection_folders(settings: Settings) -> dict[str, Path]:
    """Reading folder of every collection: recorded ones, plus the default collection's."""
    folders: dict[str, Path] = {}
    root = settings.collections_dir
    for info in sorted(root.glob("*/collection.json")) if root.exists() else []:
        recorded = CollectionPaths(settings, info.parent.name).read_info().get("folder")
        if recorded:
            folders[info.parent.name] = Path(recorded).expanduser().resolve()
    folders.setdefault(settings.collection, settings.knowledge_dir.expanduser().resolve())
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
            raise StoreError(f"folder {folder} already belongs to collection {other!r}: use that collection or another folder")
        if folder.is_relative_to(theirs):
            raise StoreError(f"folder {folder} lies inside collection {other!r}'s folder {theirs}: pick a folder outside it")
        if theirs.is_relative_to(folder):
            raise StoreError(f"folder {folder} contains collection {other!r}'s folder {theirs}: pick a folder that does not")


def record_folder(settings: Settings, paths: CollectionPaths, folder: Path) -> None:
    """Write ``collection.json`` for a new collection, or when its folder changed (checked first)."""
    info = paths.read_info()
    if info and info.get("folder") and Path(info["folder"]).resolve() == folder.resolve():
        return
    check_folder_free(settings, paths.name, folder)
    info = {"name": paths.name, "created": now_iso(), **info, "folder": str(folder.resolve())}
    atomic_write(paths.info, json.dumps(info))


def list_collections(settings: Settings) -> list[dict[str, Any]]:
    """Every collection in the data folder with counts, embedder and last sync."""
    rows = []
    root = settings.collections_dir
    for info in sorted(root.glob("*/collection.json")) if root.exists() else []:
        paths = CollectionPaths(settings, info.parent.name)
        snapshot = paths.current_snapshot()
        manifest = snapshot.manifest if snapshot else {}
        rows.append(
            {
                "name": paths.name,
                "folder": paths.read_info().get("folder", ""),
                "documents": len(manifest.get("files", {})),
                "chunks": len(snapshot.chunks) if snapshot else 0,
                "embedder": manifest.get("embedder", ""),
                "synced_at": manifest.get("synced_at", ""),
            }
        )
    return rows
