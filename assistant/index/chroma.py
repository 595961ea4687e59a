"""The Chroma vector store: a client (on disk, or a server), one collection per reading
collection and embedder, and batched upserts."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.deadline import call_within
from assistant.errors import StoreError
from assistant.index.faults import disk_full_message, is_disk_full
from assistant.types import Chunk

# A server must answer its heartbeat within this many seconds (a server that accepts connections
# but never replies would otherwise hang every command), and the requests chromadb's client makes
# while it is created (identity, tenant, database) within SETUP_TIMEOUT: chromadb sends those with no
# time limit, so a server that answers the heartbeat and then stalls hung `ask` for good. Later
# requests get REQUEST_TIMEOUT (a query of 100k chunks answers in about 30 ms, docs/benchmarks.md).
CONNECT_TIMEOUT = 5.0
SETUP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0


STORE_ID = "assistant-store-id"  # in the local store's folder: names this store, not a later one there


def store_label(settings: Settings) -> str:
    """Which Chroma store holds the vectors, as each manifest records it: ``http://host:port``
    for a server, ``local:<id>`` for the store on disk (``local`` for one made before ids).

    A new local store gets a new id, so a store that was replaced (moved aside as damaged,
    deleted) is told apart from the one a snapshot was stored in, like a switch to a server: the
    snapshot must be stored again (``assistant index``) before it answers.
    """
    if settings.chroma_host:
        return f"http://{settings.chroma_host}:{settings.chroma_port}"
    try:
        return f"local:{(settings.data_dir / 'chroma' / STORE_ID).read_text(encoding='utf-8').strip()}"
    except OSError:
        return "local"


def _name_new_store(path: Path) -> None:
    """Give a store that does not exist yet its id (kept when another process named it first)."""
    if (path / "chroma.sqlite3").exists():
        return
    (path / STORE_ID).unlink(missing_ok=True)
    try:
        with open(path / STORE_ID, "x", encoding="utf-8") as fh:
            fh.write(uuid.uuid4().hex[:12])
    except FileExistsError:
        pass


def chroma_client(settings: Settings, fresh: bool = False):
    """A Chroma client: HTTP when ``chroma_host`` is set, else on disk under the data folder.

    ``fresh``: on disk, a new client that reads the store as it is now. Embedded Chroma shares one
    client per folder in a process, and that client keeps the vector index it loaded: it does not
    see vectors another process (``assistant index`` beside a running ``serve``) added since, and
    fails on the ids of those it deleted ("Error finding id"). Clients already handed out keep
    working on what they loaded.

    Raises
    ------
    StoreError
        When the server is down or does not answer within :data:`CONNECT_TIMEOUT`, or when the
        store on disk cannot be opened (damaged: the message says to rebuild).
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        check_server(settings)
        host, port = settings.chroma_host, settings.chroma_port
        where = f"{host}:{port}"
        try:
            client = call_within(
                lambda: chromadb.HttpClient(host=host, port=port, settings=chroma_settings), SETUP_TIMEOUT
            )
        except TimeoutError as exc:
            raise StoreError(
                f"cannot use Chroma at {where}: it answered its heartbeat but not the client's first requests "
                f"within {SETUP_TIMEOUT:g} s; restart the Chroma server (`chroma run`), or unset ASSISTANT_CHROMA_HOST"
            ) from exc
        except Exception as exc:
            raise StoreError(
                f"cannot reach Chroma at {where} ({exc}): start it or unset ASSISTANT_CHROMA_HOST"
            ) from exc
        _limit_requests(client)
        return client
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    try:
        _name_new_store(path)
        if fresh:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except Exception as exc:
        if is_disk_full(exc):
            raise StoreError(disk_full_message(path)) from exc
        raise StoreError(
            f"the Chroma store {path} cannot be opened ({exc}): run `assistant index --rebuild`, which moves "
            "it aside and stores the collection again (other collections then need `assistant index --rebuild` too)"
        ) from exc


def check_server(settings: Settings) -> None:
    """Fail fast, with what to do, when the Chroma server is down or does not answer."""
    import httpx

    where = f"{settings.chroma_host}:{settings.chroma_port}"
    try:
        httpx.get(f"http://{where}/api/v2/heartbeat", timeout=CONNECT_TIMEOUT).raise_for_status()
    except httpx.TimeoutException as exc:
        raise StoreError(
            f"cannot reach Chroma at {where}: it accepted the connection but did not answer within "
            f"{CONNECT_TIMEOUT:g} s; check that a Chroma server (`chroma run`) is running there, or unset ASSISTANT_CHROMA_HOST"
        ) from exc
    except httpx.HTTPError as exc:
        raise StoreError(
            f"cannot reach Chroma at {where} ({exc}): start it (`chroma run --port {settings.chroma_port}`) or unset ASSISTANT_CHROMA_HOST"
        ) from exc


def _limit_requests(client) -> None:
    """Give the client's HTTP session a timeout (chromadb 1.5 creates it with none)."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(REQUEST_TIMEOUT, connect=CONNECT_TIMEOUT)


def set_store_aside(settings: Settings) -> Path | None:
    """Move a local Chroma store that cannot be opened aside (``chroma.damaged-<time>``)."""
    import time

    from chromadb.api.client import SharedSystemClient

    path = settings.data_dir / "chroma"
    if not path.exists():
        return None
    aside = path.with_name(f"chroma.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
    path.rename(aside)
    SharedSystemClient.clear_system_cache()  # forget the client that failed on the old folder
    return aside


def chroma_name(collection: str, embedder: str, dim: int) -> str:
    """Chroma collection name for a reading collection embedded by one embedder.

    The hash covers the exact collection name, so names that slug alike ("Readings" and
    "readings") never share a Chroma collection.
    """
    tag = hashlib.sha1(f"{collection}|{embedder}|{dim}".encode()).hexdigest()[:8]
    return f"rc-{chroma_slug(collection)}-{tag}"


def chroma_slug(collection: str) -> str:
    """The readable part of a collection's Chroma names (names such as "Readings" and "readings" share it)."""
    return re.sub(r"[^a-z0-9_-]+", "-", collection.lower()).strip("-_")[:40] or "c"


def slug_chroma_names(client, collection: str) -> list[str]:
    """The Chroma collections named for ``collection``'s slug, whatever embedder made them: the
    collection's own, and those of any other collection whose name slugs alike."""
    pattern = re.compile(re.escape(f"rc-{chroma_slug(collection)}-") + "[0-9a-f]{8}")
    return sorted(c.name for c in client.list_collections() if pattern.fullmatch(c.name))


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
