"""Faults: kill -9 of an index, an upload and an evaluation at known points; the vector cache
under a kill and a second process; a Chroma server switched to, down, or silent; a full disk.

Every kill waits on a fault point (``ASSISTANT_FAILPOINT``, :mod:`assistant.index.faults`): the
process writes its pid to a marker file where the point is and blocks there, so the test knows
what the process had done when it was killed. After each kill the collection answers as before,
the next sync completes, and its chunks equal those of a clean index of the same folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.errors import StoreError
from assistant.index.chroma import chroma_client
from assistant.index.faults import FAILPOINT_ENV, FAILPOINTS
from assistant.index.snapshots import CollectionPaths
from assistant.index.sync import sync_collection
from assistant.retrieval.retriever import open_retriever
from tests.helpers import free_port, wait_until
from tests.test_chroma_server import chroma_server  # noqa: F401 (the real `chroma run` fixture)

OLD = {
    "dasar.txt": "Diplomasi siber adalah penggunaan sarana diplomatik untuk mengelola isu di ruang siber.",
    "lama.txt": "Resep rendang memerlukan santan, daging sapi, serai dan cabai merah.",
}
NEW = "Pelabuhan {n} di kepulauan Nusantara melayani kapal peti kemas dan kapal penumpang antarpulau setiap hari."


def _env(settings, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(settings.data_dir),
        ASSISTANT_CACHE_DIR=str(settings.vector_cache_dir),
        ASSISTANT_KNOWLEDGE_DIR=str(settings.knowledge_dir),
        ASSISTANT_READER="false",
        ASSISTANT_EMBED_BATCH_SIZE="4",
    )
    env.update(extra)
    return env


def _kill_at(point: str, args: list[str], env: dict[str, str], marker: Path) -> None:
    """Run ``assistant ARGS`` until it reaches fault point ``point``, then kill -9 it there."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", *args],
        env={**env, FAILPOINT_ENV: f"{point}@{marker}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: marker.exists() or proc.poll() is not None, timeout=300, what=lambda: point)
        assert marker.exists(), f"never reached {point}: exit {proc.poll()}, {proc.stderr.read().decode()[-2000:]}"
        wait_until(lambda: marker.read_text() == str(proc.pid), timeout=10)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL  # killed there, not finished
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()


def _clean_chunks(make_settings, tmp_path, folder: Path, name: str = "knowledge") -> set[str]:
    clean = make_settings(data_dir=tmp_path / "clean", knowledge_dir=folder, collection=name)
    sync_collection(clean, name=name, folder=folder)
    return {c.id for c in CollectionPaths(clean, name).current_snapshot().chunks}


def _stored_ids(settings, name: str = "knowledge") -> tuple[set[str], set[str]]:
    snapshot = CollectionPaths(settings, name).current_snapshot()
    collection = chroma_client(settings).get_collection(snapshot.manifest["chroma_collection"])
    return set(collection.get(include=[])["ids"]), {c.id for c in snapshot.chunks}


@pytest.mark.parametrize("point", FAILPOINTS)
def test_index_killed_at_each_point_recovers_to_a_clean_index(make_settings, write, tmp_path, point):
    settings = make_settings(knowledge_dir=write.folder, cache_dir=tmp_path / "cache")
    for name, text in OLD.items():
        write(name, text)
    sync_collection(settings)
    before = CollectionPaths(settings, "knowledge").current.read_text()
    (write.folder / "lama.txt").unlink()
    for n in range(3):
        write(f"baru{n}.txt", "\n\n".join(NEW.format(n=f"{point}-{n}-{k}") for k in range(6)))

    _kill_at(point, ["index"], _env(settings), tmp_path / "marker")

    published = CollectionPaths(settings, "knowledge").current.read_text() != before
    assert published == (point == "sync:published")  # what the kill interrupted, seen on disk
    sources = {p.chunk.source for p in open_retriever(settings).search("rendang santan pelabuhan kapal", 5)}
    if published:  # the new index answers at once, before any sync: Chroma vectors it cannot return
        assert "lama.txt" not in sources and any(s.startswith("baru") for s in sources)  # come from the cache
    else:
        assert sources == {"dasar.txt", "lama.txt"}  # the previous index answers

    report = sync_collection(settings)
    assert (len(report.added), report.removed) == ((0, []) if published else (3, ["lama.txt"]))
    assert published == any("interrupted sync" in m for m in report.messages)
    retriever = open_retriever(settings)
    # The new files' chunks (near-identical texts, one or two a file) all come before the unrelated one.
    new = sum(c.source.startswith("baru") for c in CollectionPaths(settings, "knowledge").current_snapshot().chunks)
    assert {p.chunk.source for p in retriever.search("pelabuhan kapal peti kemas", new)} == {
        f"baru{n}.txt" for n in range(3)
    }
    assert retriever.search("sarana diplomatik ruang siber", 1)[0].chunk.source == "dasar.txt"
    in_chroma, in_snapshot = _stored_ids(settings)
    assert in_snapshot == _clean_chunks(make_settings, tmp_path, write.folder)
    assert in_chroma == in_snapshot  # no vector of the killed sync left behind
    assert len(list(CollectionPaths(settings, "knowledge").snapshots.iterdir())) == 1


def test_upload_killed_while_storing_leaves_the_collection_as_before(make_settings, write, tmp_path):
    from assistant.library.documents import add_documents

    settings = make_settings(cache_dir=tmp_path / "cache")
    add_documents(settings, [write("dasar.txt", OLD["dasar.txt"])], "uji")
    upload = write("unggah/pelabuhan.txt", "\n\n".join(NEW.format(n=f"unggah-{k}") for k in range(4)))

    _kill_at("sync:stored", ["add", str(upload), "-c", "uji"], _env(settings), tmp_path / "marker")

    hits = open_retriever(settings, "uji").search("pelabuhan kapal peti kemas", 5)
    assert {p.chunk.source for p in hits} == {"dasar.txt"}  # answers as before the upload
    report = sync_collection(settings, name="uji")
    assert report.added == ["pelabuhan.txt"]  # the copied file is picked up by the next sync
    folder = settings.data_dir / "library" / "uji"
    in_chroma, in_snapshot = _stored_ids(settings, "uji")
    assert in_chroma == in_snapshot == _clean_chunks(make_settings, tmp_path, folder, "uji")


def test_upload_killed_while_copying_leaves_the_collection_as_before(make_settings, write, tmp_path):
    from assistant.library.documents import add_documents

    settings = make_settings(cache_dir=tmp_path / "cache")
    add_documents(settings, [write("dasar.txt", OLD["dasar.txt"])], "uji")
    upload = write("unggah/pelabuhan.txt", "\n\n".join(NEW.format(n=f"salin-{k}") for k in range(4)))

    _kill_at("upload:copied", ["add", str(upload), "-c", "uji"], _env(settings), tmp_path / "marker")

    folder = settings.data_dir / "library" / "uji"
    left = [p.name for p in folder.iterdir() if p.name.endswith(".part")]
    assert len(left) == 1 and left[0].startswith(".pelabuhan.txt.")  # killed with the copy not yet renamed
    hits = open_retriever(settings, "uji").search("pelabuhan kapal peti kemas", 5)
    assert {p.chunk.source for p in hits} == {"dasar.txt"}  # answers as before the upload
    report = sync_collection(settings, name="uji")
    assert report.added == [] and report.chunks == len(_clean_chunks(make_settings, tmp_path, folder, "uji"))
    again = add_documents(settings, [upload], "uji")  # the upload, tried again, completes
    assert [a["stored"] for a in again.added] == ["pelabuhan.txt"]
    hits = open_retriever(settings, "uji").search("pelabuhan kapal peti kemas", 5)
    assert "pelabuhan.txt" in {p.chunk.source for p in hits}


class _SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent_server():
    server = _SilentServer()
    yield server
    server.close()


def test_eval_killed_mid_run_leaves_collection_and_cache_intact(make_settings, write, tmp_path, silent_server):
    settings = make_settings(knowledge_dir=write.folder, cache_dir=tmp_path / "cache")
    for name, text in OLD.items():
        write(name, text)
    first = sync_collection(settings)
    questions = tmp_path / "set.jsonl"
    item = {"id": "q1", "question": "Apa itu diplomasi siber?", "lang": "id", "answerable": True}
    questions.write_text(json.dumps({**item, "gold_quotes": ["sarana diplomatik"]}) + "\n")
    env = _env(
        settings,
        ASSISTANT_OPENAI_BASE_URL=f"http://127.0.0.1:{silent_server.port}/v1",
        ASSISTANT_OPENAI_API_KEY="unused",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "eval", str(questions), "--llm", "openai:m", "--out", str(tmp_path / "o")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The LLM is asked only after retrieval of the first question: the run is under way.
        assert silent_server.accepted.wait(300), f"the evaluation never asked its LLM (exit {proc.poll()})"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    assert open_retriever(settings).search("sarana diplomatik", 1)[0].chunk.source == "dasar.txt"
    again = sync_collection(settings)
    assert (len(again.unchanged), again.chunks) == (2, first.chunks)
    with sqlite3.connect(settings.vector_cache_dir / "vectors.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


WRITER = """
import sys, numpy as np
from pathlib import Path
from assistant.index.vector_cache import VectorCache
cache, marker = VectorCache(Path(sys.argv[1])), Path(sys.argv[2])
n = 0
while True:
    texts = [f"writer {n + i}" for i in range(50)]
    cache.put_many("test", texts, np.full((50, 384), n, dtype=np.float32))
    n += 50
    marker.with_suffix(".tmp").write_text(str(n))
    marker.with_suffix(".tmp").replace(marker)  # rows committed so far (never seen half-written)
"""


def test_vector_cache_survives_a_kill_mid_write_and_a_second_writer(tmp_path):
    import numpy as np

    from assistant.index.vector_cache import VectorCache

    path, marker = tmp_path / "vectors.sqlite", tmp_path / "committed"
    VectorCache(path).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(marker)], cwd=Path(__file__).parents[1])
    try:
        wait_until(lambda: marker.exists() or proc.poll() is not None, timeout=120)
        mine = VectorCache(path)  # a second process (this one) reads and writes while it writes
        texts = [f"reader {i}" for i in range(400)]
        for i in range(0, 400, 20):
            mine.put_many("test", texts[i : i + 20], np.ones((20, 384), dtype=np.float32))
            assert len(mine.get_many("test", texts[: i + 20])) == i + 20
        committed = int(marker.read_text())
        assert proc.poll() is None, "the writer stopped by itself"
        proc.send_signal(signal.SIGKILL)  # while it is writing
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    mine.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM vectors").fetchone()[0] >= committed + 400
    assert len(VectorCache(path).get_many("test", [f"writer {i}" for i in range(committed)])) == committed


def test_switch_to_a_chroma_server_is_detected_and_synced(make_settings, write, chroma_server):  # noqa: F811
    local = make_settings(knowledge_dir=write.folder)
    for name, text in OLD.items():
        write(name, text)
    sync_collection(local)
    server = make_settings(knowledge_dir=write.folder, chroma_host="127.0.0.1", chroma_port=chroma_server)
    with pytest.raises(StoreError, match=r"Chroma store .*run `assistant index --collection knowledge`"):
        open_retriever(server)
    report = sync_collection(server)
    assert any("Chroma store changed" in m for m in report.messages)
    assert (report.chunks, report.embedded, len(report.unchanged)) == (2, 0, 2)
    hits = open_retriever(server).search("santan dan serai", 1, "dense")
    assert hits and hits[0].chunk.source == "lama.txt"
    assert sync_collection(server).messages == []  # in step now: nothing to do
    back = sync_collection(local)  # and back to the store on disk
    assert any("Chroma store changed" in m for m in back.messages)
    assert open_retriever(local).search("santan dan serai", 1, "dense")[0].chunk.source == "lama.txt"


def test_a_silent_chroma_server_is_a_clear_error_within_seconds(make_settings, write, silent_server):
    settings = make_settings(knowledge_dir=write.folder, chroma_host="127.0.0.1", chroma_port=silent_server.port)
    write("a.txt", OLD["dasar.txt"])
    started = time.monotonic()
    with pytest.raises(StoreError, match="did not answer within"):
        sync_collection(settings)
    assert silent_server.accepted.is_set() and time.monotonic() - started < 20


class _StallingChroma:
    """An HTTP server on 127.0.0.1 that answers Chroma's heartbeat and then never answers anything else."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        release = self.release = threading.Event()
        stalled = self.stalled = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.startswith("/api/v2/heartbeat"):
                    body = b'{"nanosecond heartbeat": 1}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                stalled.append(self.path)
                release.wait(120)

            do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_chroma_server_that_stalls_after_its_heartbeat_is_a_clear_error_within_seconds(make_settings, write):
    """chromadb's client sends its first requests (identity, tenant) with no time limit: a server that
    answers the heartbeat and then stalls hung every command that opens the store for good."""
    stalling = _StallingChroma()
    try:
        settings = make_settings(knowledge_dir=write.folder, chroma_host="127.0.0.1", chroma_port=stalling.port)
        write("a.txt", OLD["dasar.txt"])
        started = time.monotonic()
        with pytest.raises(StoreError, match="answered its heartbeat but not the client's first requests"):
            sync_collection(settings)
        assert time.monotonic() - started < 30
        assert stalling.stalled  # it was the stall that was cut short, not a refused connection
    finally:
        stalling.close()


def test_a_chroma_server_that_is_down_is_a_clear_error_at_once(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder, chroma_host="127.0.0.1", chroma_port=free_port())
    write("a.txt", OLD["dasar.txt"])
    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot reach Chroma at 127.0.0.1"):
        sync_collection(settings)
    assert time.monotonic() - started < 10


@pytest.fixture
def tmpfs(tmp_path):
    """A small tmpfs (4 MB) mounted for the test: a disk that really fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}): needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` up, then free ``leave`` bytes of it again."""
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    with open(filler, "r+b") as fh:
        fh.truncate(max(0, filler.stat().st_size - leave))
    return filler


@pytest.mark.parametrize("leave", [0, 48_000, 400_000])
def test_disk_full_while_indexing_fails_clearly_and_keeps_the_old_index(make_settings, write, tmp_path, tmpfs, leave):
    from typer.testing import CliRunner

    from assistant.cli.app import app

    settings = make_settings(data_dir=tmpfs / "data", cache_dir=tmpfs / "data" / "cache", knowledge_dir=write.folder)
    for name, text in OLD.items():
        write(name, text)
    sync_collection(settings)
    for n in range(4):
        write(f"baru{n}.txt", "\n\n".join(NEW.format(n=f"penuh-{n}-{k}") for k in range(30)))
    filler = _fill(tmpfs, leave)

    result = CliRunner().invoke(app, ["index"], env=_env(settings))
    message = " ".join(result.output.split())
    assert result.exit_code == 2, (result.output, result.exception)
    assert "the disk is full" in message and "nothing was lost" in message and "Traceback" not in message
    sources = {p.chunk.source for p in open_retriever(settings).search("rendang santan pelabuhan kapal", 5)}
    assert sources == {"dasar.txt", "lama.txt"}  # the old index answers, with the disk still full

    filler.unlink()
    report = sync_collection(settings)
    assert len(report.added) == 4
    in_chroma, in_snapshot = _stored_ids(settings)
    assert in_chroma == in_snapshot == _clean_chunks(make_settings, tmp_path, write.folder)


def test_a_snapshot_another_process_published_is_read_from_the_store_as_it_is_now(make_settings, write):
    """A server (this process) holds embedded Chroma open while `assistant index` in another process adds a
    reading and removes one. Chroma's shared client keeps the index it loaded: without a fresh client, the
    new reading's vectors are invisible to dense search and the removed ones fail by id."""
    from assistant.index.embeddings import embed_query
    from assistant.service import Assistant

    settings = make_settings(knowledge_dir=write.folder)
    for name, text in OLD.items():
        write(name, text)
    for n in range(30):  # enough vectors for Chroma to keep an index of them in memory
        write(f"pelabuhan{n}.txt", NEW.format(n=f"lama-{n}"))
    sync_collection(settings)
    assistant = Assistant(settings)
    first = assistant.retriever()
    probe = embed_query(first.index.embedder, "Resep rendang memerlukan santan")
    assert next(iter(first.index.dense(probe, 3).values())) > 0.8  # the store is loaded and answers

    added = write("kopi.txt", "Kopi luwak diolah dari biji kopi yang dimakan luwak, lalu dicuci dan disangrai.")
    (write.folder / "lama.txt").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "index"], env=_env(settings), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]

    now = assistant.retriever()
    assert now is not first and now.index.is_stale() is False
    new_ids = {c.id for c in now.index.chunks.values() if c.source == added.name}
    dense = now.index.dense(embed_query(now.index.embedder, "Kopi luwak diolah dari biji kopi"), 3)
    assert new_ids & set(dense), dense  # the other process's vectors are found by the nearest-neighbour search
    assert now.index._exact is None  # from Chroma itself, not the vector cache's fallback
    found = now.search("resep rendang santan daging sapi", 5)
    assert "lama.txt" not in {p.chunk.source for p in found}
