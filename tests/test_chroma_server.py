"""Server mode: the same sync and search against a real `chroma run` server on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.index.sync import sync_collection
from assistant.retrieval.retriever import open_retriever
from tests.helpers import free_port


@pytest.fixture
def chroma_server(tmp_path):
    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield port
    proc.terminate()
    proc.wait(10)


def test_sync_and_search_through_a_chroma_server(make_settings, write, chroma_server):
    settings = make_settings(knowledge_dir=write.folder, chroma_host="127.0.0.1", chroma_port=chroma_server)
    write("a.txt", "Forum Tata Kelola Internet mempertemukan pemerintah, swasta dan masyarakat sipil.")
    write("b.txt", "Konvensi Budapest adalah perjanjian tentang kejahatan siber.")
    report = sync_collection(settings)
    assert len(report.added) == 2
    assert not (settings.data_dir / "chroma").exists()  # nothing stored on local disk
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server)
    [collection] = client.list_collections()
    assert collection.count() == 2
    (write.folder / "b.txt").unlink()
    sync_collection(settings)
    assert client.get_collection(collection.name).count() == 1
    assert open_retriever(settings).search("masyarakat sipil dan swasta", 1)[0].chunk.source == "a.txt"


def test_unreachable_server_is_a_clear_error(make_settings, write):
    from assistant.errors import StoreError

    settings = make_settings(knowledge_dir=write.folder, chroma_host="127.0.0.1", chroma_port=free_port())
    write("a.txt", "Teks.")
    with pytest.raises(StoreError, match="cannot reach Chroma"):
        sync_collection(settings)
