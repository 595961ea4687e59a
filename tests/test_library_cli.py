"""`assistant add`, `remove` and `collections` through the CLI; a killed `add`; folder watching."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from typer.testing import CliRunner
from watchdog.events import FileCreatedEvent

from assistant.cli.app import app
from assistant.index.snapshots import CollectionPaths
from assistant.library.documents import list_documents
from assistant.library.watching import FolderWatcher, _Handler
from assistant.retrieval.retriever import open_retriever
from tests.helpers import cached_vectors, wait_until

runner = CliRunner()
PARA = "Pelabuhan {n} melayani kapal peti kemas dan kapal penumpang antarpulau di kepulauan Nusantara."


def _env(settings):
    return {
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_CACHE_DIR": str(settings.vector_cache_dir),
        "ASSISTANT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
    }


def _json(result):
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_add_remove_collections_json_contract(make_settings, write, tmp_path):
    settings = make_settings()
    env = _env(settings)
    good = write("gunung.md", "# Merapi\n\nGunung Merapi meletus besar pada tahun 2010.\n")
    fake = write("palsu.pdf", "bukan pdf")
    added = runner.invoke(app, ["add", str(good), str(fake), "--collection", "minggu", "--json"], env=env)
    assert added.exit_code == 3, added.output  # one input refused
    data = _json(added)
    assert {"collection", "folder", "created", "added", "duplicates", "refused", "sync", "seconds"} <= set(data)
    assert data["created"] and data["added"] == [{"file": "gunung.md", "stored": "gunung.md", "title": "Merapi"}]
    assert data["refused"][0]["file"] == "palsu.pdf" and "not a PDF" in data["refused"][0]["error"]
    assert data["sync"]["added"] == 1 and data["sync"]["chunks"] == 1

    again = runner.invoke(app, ["add", str(good), "-c", "minggu", "--json"], env=env)
    assert again.exit_code == 0 and _json(again)["duplicates"] == [{"file": "gunung.md", "existing": "gunung.md"}]

    listing = _json(runner.invoke(app, ["collections", "--json"], env=env))["collections"]
    row = next(r for r in listing if r["name"] == "minggu")
    assert (row["documents"], row["chunks"], row["embedder"], row["managed"]) == (1, 1, "e5-small-q4", True)
    assert row["synced_at"] and listing[0]["name"] == "knowledge" and listing[0]["default"]
    table = runner.invoke(app, ["collections"], env=env)
    assert "minggu" in table.stdout and "never" in table.stdout  # the default one is not indexed here

    removed = runner.invoke(app, ["remove", "gunung.md", "tidak-ada.md", "-c", "minggu", "--json"], env=env)
    assert removed.exit_code == 3
    data = _json(removed)
    assert data["removed"] == ["gunung.md"] and data["missing"][0]["doc"] == "tidak-ada.md"
    assert data["sync"]["removed"] == 1 and data["sync"]["chunks"] == 0

    gone = runner.invoke(app, ["collections", "remove", "minggu", "--json"], env=env)
    assert gone.exit_code == 0 and _json(gone)["files_removed"] is True
    missing = runner.invoke(app, ["collections", "remove", "minggu"], env=env)
    assert missing.exit_code == 2 and "no collection named 'minggu'" in missing.output
    bad = runner.invoke(app, ["add", str(good), "-c", "../luar"], env=env)
    assert bad.exit_code == 2 and "invalid collection name" in bad.output


def test_killed_add_process_leaves_collection_answering(make_settings, write, tmp_path):
    settings = make_settings(cache_dir=tmp_path / "own-cache")
    env = _env(settings)
    first = runner.invoke(
        app,
        [
            "add",
            str(write("dasar.md", "Diplomasi siber adalah penggunaan sarana diplomatik di ruang siber.")),
            "-c",
            "uji",
        ],
        env=env,
    )
    assert first.exit_code == 0, first.output
    files = [str(write(f"baru/p{n:02d}.txt", PARA.format(n=n))) for n in range(30)]  # 30 chunks: 2 batches
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant", "add", *files, "-c", "uji"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(
        lambda: cached_vectors(settings.vector_cache_dir / "vectors.sqlite") > 1, timeout=120
    )  # the first batch is stored: kill during the second
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    hits = open_retriever(settings, "uji").search("sarana diplomatik", 3)
    assert hits[0].chunk.source == "dasar.md" and len(list_documents(settings, "uji")) >= 1
    retry = runner.invoke(app, ["add", *files, "-c", "uji", "--json"], env=env)
    assert retry.exit_code == 0, retry.output
    data = _json(retry)
    assert len(data["added"]) + len(data["duplicates"]) == 30 and data["duplicates"]  # copied before the kill
    assert 0 < data["sync"]["embedded"] < 30  # the first batch came from the cache
    rows = list_documents(settings, "uji")
    assert len(rows) == 31 and all(r["status"] == "indexed" for r in rows)


def test_watcher_syncs_dropped_and_removed_files(make_settings, write):
    settings = make_settings()
    folder = write.folder
    write("awal.md", "# Awal\n\nPelabuhan Tanjung Priok melayani kapal peti kemas.\n")
    runner.invoke(app, ["index", "--knowledge", str(folder), "-c", "pantau"], env=_env(settings))
    synced = []
    watcher = FolderWatcher(
        settings,
        {"pantau": folder},
        debounce=0.3,
        on_sync=lambda name, report, error: synced.append((name, report, error)),
    ).start()
    try:
        hidden = folder / ".sementara.md"
        hidden.write_text("hidden: ignored", encoding="utf-8")
        _Handler(watcher, "pantau", folder.resolve()).on_any_event(FileCreatedEvent(str(hidden)))
        assert not watcher.busy()  # a hidden file's event starts no sync
        write("baru.md", "# Baru\n\nGunung Merapi meletus besar pada tahun 2010.\n")
        wait_until(lambda: synced and not watcher.busy())
        assert synced[-1][2] is None and synced[-1][1].added == ["baru.md"]
        (folder / "awal.md").unlink()
        wait_until(lambda: len(synced) >= 2 and not watcher.busy())
        assert synced[-1][1].removed == ["awal.md"]
    finally:
        watcher.stop()
    assert [r["file"] for r in list_documents(settings, "pantau")] == ["baru.md"]
    assert CollectionPaths(settings, "pantau").current_snapshot().manifest["files"].keys() == {"baru.md"}


def test_serve_watch_answers_from_a_dropped_file_without_restart(make_settings, write):
    from gradio_client import Client

    from assistant.index.sync import sync_collection
    from tests.ui_server import start_server

    write("awal.md", "# Awal\n\nPelabuhan Tanjung Priok melayani kapal peti kemas.\n")
    settings = make_settings(collection="pantau", knowledge_dir=write.folder)
    sync_collection(settings)
    server = start_server(settings, args=["--watch"]).wait_ready()
    try:
        # past the catch-up sync at start: what follows is driven by file events
        wait_until(lambda: "watch: pantau: up to date" in server.output(), timeout=60, what=server.output)
        write("baru.md", "# Baru\n\nGunung Merapi meletus besar pada tahun 2010 dan warga mengungsi.\n")
        wait_until(
            lambda: "baru.md" in CollectionPaths(settings, "pantau").current_snapshot().manifest["files"],
            what=server.output,
        )
        data = Client(server.url, verbose=False).predict("Kapan Gunung Merapi meletus besar?", api_name="/ask")
        assert data["citations"][0]["source"] == "baru.md" and "2010" in data["answer"]
        wait_until(lambda: "watch: pantau: +1" in server.output(), timeout=10)
    finally:
        server.stop()
