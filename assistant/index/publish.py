"""Publishing an index: embed chunks (through the vector cache) into Chroma, write a complete
snapshot (chunk records, the BM25 index, manifest, extra files) and switch the collection to it.

The one way an index is published: :func:`assistant.index.sync.sync_locked` publishes a reading
folder with it, and ``benchmarks/retrieval.py`` a corpus of one passage per line.
"""

from __future__ import annotations

import shutil

from assistant.config import Settings
from assistant.index.chroma import chroma_add
from assistant.index.embeddings import Embedder
from assistant.index.faults import disk_full_is_clear, failpoint
from assistant.index.lexical import LexicalIndex, save_term_counts
from assistant.index.progress import SyncProgress
from assistant.index.snapshots import CollectionPaths, Snapshot, atomic_write
from assistant.index.vector_cache import VectorCache, embed_passages_cached
from assistant.text.sentences import sentence_texts
from assistant.text.tokens import load_stem_cache, save_stem_cache
from assistant.types import Chunk


def embed_and_store(
    settings: Settings,
    embedder: Embedder,
    collection,
    chunks: list[Chunk],
    progress: SyncProgress | None = None,
    sentences: bool = True,
) -> int:
    """Embed ``chunks`` through the vector cache and upsert them into a Chroma collection;
    returns how many were actually embedded (cache misses).

    The chunks' sentences (:func:`~assistant.text.sentences.sentence_texts`, what the answerer
    scores) are embedded into the same cache in the same batches, so the first answer from a
    new reading finds them there instead of embedding them while the user waits
    (``sentences=False``: an index that is only searched, e.g. a retrieval benchmark).
    """
    progress = progress or SyncProgress()
    if not chunks:
        return 0
    cache = VectorCache(settings.vector_cache_dir / "vectors.sqlite")
    try:
        texts = [c.text for c in chunks]
        extra = cache.missing(embedder.id, [s for t in texts for s in sentence_texts(t)]) if sentences else []
        progress.start("embedding", len(texts) + len(extra))
        vectors, embedded = embed_passages_cached(
            embedder, texts, cache, settings.embed_batch_size, progress.advance, extra=extra
        )
    finally:
        cache.close()
    progress.start("storing", len(chunks))
    chroma_add(collection, chunks, vectors, progress=progress.advance)
    failpoint("sync:stored")
    return embedded


def write_snapshot(
    settings: Settings,
    paths: CollectionPaths,
    manifest: dict,
    chunks: list[Chunk],
    files: dict[str, str] | None = None,
    progress: SyncProgress | None = None,
) -> Snapshot:
    """A complete new snapshot of ``chunks`` (not yet published): chunk records, the BM25 index
    over them, the manifest, and ``files`` (name -> text) beside them.

    Stems computed for the BM25 index are kept in the cache folder for the next process. A
    snapshot that cannot be completed (e.g. the disk is full) is deleted, never left half-written.
    """
    (progress or SyncProgress()).start("BM25", len(chunks))
    snapshot = Snapshot(paths.new_snapshot_folder(), manifest, chunks)
    stems = settings.vector_cache_dir / "stems.json"
    load_stem_cache(stems)
    lexical = LexicalIndex.build([c.id for c in chunks], [c.text for c in chunks])
    texts = [c.text for c in chunks]

    def write_indexes(folder):
        lexical.save(folder / "lexical")
        save_term_counts(folder / "lexical", texts)
        for name, text in (files or {}).items():
            atomic_write(folder / name, text)

    try:
        snapshot.save(write_indexes)
    except BaseException:
        shutil.rmtree(snapshot.folder, ignore_errors=True)
        raise
    save_stem_cache(stems)
    return snapshot


def publish(
    settings: Settings,
    paths: CollectionPaths,
    embedder: Embedder,
    collection,
    chunks: list[Chunk],
    manifest: dict,
    *,
    store: list[Chunk] | None = None,
    files: dict[str, str] | None = None,
    progress: SyncProgress | None = None,
    sentences: bool = True,
) -> tuple[Snapshot, int]:
    """Embed and store ``store`` (default: every chunk) in the Chroma ``collection``, write the
    snapshot of ``chunks`` and make it the one that answers. The caller holds the collection's
    lock (:func:`assistant.index.locking.collection_lock`).

    Returns
    -------
    (snapshot, embedded)
        The published snapshot and how many chunks were actually embedded.

    Raises
    ------
    StoreError
        When the disk fills up: the message says so, and that the previous snapshot still answers.
    """
    with disk_full_is_clear(settings.data_dir):
        embedded = embed_and_store(
            settings, embedder, collection, chunks if store is None else store, progress, sentences
        )
        snapshot = write_snapshot(settings, paths, manifest, chunks, files, progress)
        failpoint("sync:written")
        paths.publish(snapshot)
    return snapshot, embedded
