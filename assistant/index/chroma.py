"""The Chroma vector store: a client (on disk, or a server), one collection per reading
collection and embedder, and batched upserts."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from assistant.config import Settings
from assistant.errors import StoreError
from assistant.types import Chunk


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


# Rows per upsert: embedded Chroma wrote 170 / 295 / 300 / 415 rows/s at 128 / 512 / 2048 / 5000 (10,000 rows,
# load 6; benchmarks/chroma_batches.py); 5000 is under both clients' get_max_batch_size() (5461).
UPSERT_BATCH = 5000


def chroma_add(collection, chunks: list[Chunk], vectors, batch: int = UPSERT_BATCH, progress=None) -> None:
    """Upsert chunks with their vectors, ``batch`` at a time; ``progress(n)`` after each batch."""
    for i in range(0, len(chunks), batch):
        part = chunks[i : i + batch]
        collection.upsert(
            ids=[c.id for c in part],
            embeddings=vectors[i : i + batch],
            documents=[c.text for c in part],
            metadatas=[chroma_metadata(c) for c in part],
        )
        if progress:
            progress(len(part))
