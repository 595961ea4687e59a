"""Damaged data: one damaged file of one collection is reported (naming the file, saying to
rebuild) and skipped; the other collections answer; `index --rebuild` rebuilds from the readings;
a damaged vector cache is discarded; a damaged Chroma store is moved aside by a rebuild."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app

runner = CliRunner()
READINGS = {
    "knowledge": {
        "diplomasi.txt": "Diplomasi siber adalah penggunaan sarana diplomatik untuk mengelola isu di ruang siber.",
        "budapest.txt": "Konvensi Budapest adalah perjanjian internasional tentang kejahatan siber.",
    },
    "lain": {
        "gunung.txt": "Gunung Merapi di Jawa Tengah meletus besar pada tahun 2010.",
        "sungai.txt": "Sungai Kapuas di Kalimantan Barat adalah sungai terpanjang di Indonesia.",
    },
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory, shared_cache):
    """A data folder with two indexed collections (``knowledge``, the default, and ``lain``)."""
    root = tmp_path_factory.mktemp("damaged")
    for name, files in READINGS.items():
        (root / name).mkdir()
        for file, text in files.items():
            (root / name / file).write_text(text, encoding="utf-8")
    env = _env(root / "data", root, shared_cache)
    for name in READINGS:
        result = runner.invoke(app, ["index", "-c", name, "--knowledge", str(root / name), "--json"], env=env)
        assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def data(clean, tmp_path, shared_cache):
    """A fresh copy of the clean data folder and the CLI environment that uses it."""
    shutil.copytree(clean / "data", tmp_path / "data")
    return tmp_path / "data", _env(tmp_path / "data", clean, shared_cache)


def _env(data: Path, root: Path, cache: Path) -> dict[str, str]:
    return {
        "ASSISTANT_DATA_DIR": str(data),
        "ASSISTANT_CACHE_DIR": str(cache),
        "ASSISTANT_KNOWLEDGE_DIR": str(root / "knowledge"),
        "ASSISTANT_READER": "false",
    }


def _cli(env, *args):
    return runner.invoke(app, list(args), env=env)


def _json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def _truncate(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(max(1, size // 2))


def _snapshot_file(data: Path, name: str, rel: str) -> Path:
    root = data / "collections" / name
    return root / "snapshots" / (root / "current").read_text().strip() / rel


DAMAGE = {
    "manifest.json": lambda data: _truncate(_snapshot_file(data, "lain", "manifest.json")),
    "chunks.jsonl": lambda data: _truncate(_snapshot_file(data, "lain", "chunks.jsonl")),
    "collection.json": lambda data: _truncate(data / "collections" / "lain" / "collection.json"),
    "data.csc.index.npy": lambda data: _truncate(_snapshot_file(data, "lain", "lexical/bm25/data.csc.index.npy")),
    "ids.json": lambda data: _truncate(_snapshot_file(data, "lain", "lexical/ids.json")),
    "current": lambda data: (data / "collections" / "lain" / "current").write_text(""),
}


@pytest.mark.parametrize("damaged", list(DAMAGE))
def test_a_damaged_file_is_reported_skipped_and_rebuilt(data, damaged):
    folder, env = data
    DAMAGE[damaged](folder)

    listing = _cli(env, "collections", "--json")
    assert listing.exit_code == 0, listing.output
    rows = {row["name"]: row for row in _json(listing)["collections"]}
    assert rows["knowledge"]["chunks"] == 2 and rows["knowledge"]["damaged"] is None
    assert damaged in rows["lain"]["damaged"] and "--rebuild" in rows["lain"]["damaged"]
    table = " ".join(_cli(env, "collections").output.split())
    assert "damaged collection 'lain' is damaged" in table and damaged in table

    other = _cli(env, "ask", "Apa itu Konvensi Budapest?", "--json")
    assert other.exit_code == 0, other.output
    assert _json(other)["citations"][0]["source"] == "budapest.txt"

    ask = ["ask", "Kapan Merapi meletus?", "-c", "lain"]
    if damaged == "collection.json":  # only the folder's record: the index itself still answers
        assert _cli(env, *ask).exit_code == 0
    for args in [ask] * (damaged != "collection.json") + [["index", "-c", "lain"]]:
        refused = _cli(env, *args)
        assert refused.exit_code == 2, refused.output  # not "unchanged", not a traceback
        message = " ".join(refused.output.split())
        assert damaged in message and "assistant index --collection lain --rebuild" in message, message

    rebuilt = _cli(env, "index", "-c", "lain", "--rebuild", "--json")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert _json(rebuilt)["chunks"] == 2 and _json(rebuilt)["added"] + _json(rebuilt)["updated"] == 2
    answer = _cli(env, "ask", "Kapan Merapi meletus?", "-c", "lain", "--json")
    assert answer.exit_code == 0 and _json(answer)["citations"][0]["source"] == "gunung.txt", answer.output
    assert _json(_cli(env, "index", "-c", "lain", "--json"))["unchanged"] == 2


def test_serve_skips_a_damaged_collection_and_refuses_a_damaged_default(data):
    from assistant.cli.serve import build
    from assistant.config import Settings
    from assistant.errors import StoreError

    folder, env = data
    settings = Settings(
        data_dir=folder,
        cache_dir=env["ASSISTANT_CACHE_DIR"],
        knowledge_dir=env["ASSISTANT_KNOWLEDGE_DIR"],
        reader=False,
    )
    DAMAGE["chunks.jsonl"](folder)
    assert build(settings) is not None  # the app is built and warmed up on the default collection
    with pytest.raises(StoreError, match=r"'lain' is damaged: .*chunks.jsonl .*--rebuild"):
        build(settings.model_copy(update={"collection": "lain"}))


def test_a_damaged_vector_cache_is_discarded(data, tmp_path):
    folder, env = data
    own = tmp_path / "own-cache"
    shutil.copytree(env["ASSISTANT_CACHE_DIR"], own)
    env = {**env, "ASSISTANT_CACHE_DIR": str(own)}
    _truncate(own / "vectors.sqlite")
    (own / "vectors.sqlite-wal").unlink(missing_ok=True)

    answer = _cli(env, "ask", "Apa itu Konvensi Budapest?", "--json")
    assert answer.exit_code == 0, answer.output
    assert _json(answer)["citations"][0]["source"] == "budapest.txt"
    assert list(own.glob("vectors.sqlite.damaged-*")), "the damaged cache was not set aside"
    added = _cli(env, "index", "-c", "lain", "--rebuild", "--json")
    assert added.exit_code == 0 and _json(added)["embedded"] == 2, added.output  # embedded again, into a new cache


def test_a_damaged_chroma_store_is_a_clear_error_and_rebuild_moves_it_aside(data):
    folder, env = data
    _truncate(folder / "chroma" / "chroma.sqlite3")
    for wal in folder.glob("chroma/chroma.sqlite3-*"):
        wal.unlink()

    refused = _cli(env, "ask", "Apa itu Konvensi Budapest?")
    assert refused.exit_code == 2, refused.output
    assert "cannot be opened" in refused.output and "--rebuild" in refused.output

    rebuilt = _cli(env, "index", "--rebuild", "--json")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert any("moved to" in m for m in _json(rebuilt)["messages"])
    assert list(folder.glob("chroma.damaged-*"))
    answer = _cli(env, "ask", "Apa itu Konvensi Budapest?", "--json")
    assert answer.exit_code == 0 and _json(answer)["citations"][0]["source"] == "budapest.txt", answer.output

    # The other collection's vectors were in the old store: it says to sync, and a sync restores them.
    stale = _cli(env, "ask", "Kapan Merapi meletus?", "-c", "lain")
    assert stale.exit_code == 2 and "assistant index --collection lain" in " ".join(stale.output.split())
    synced = _cli(env, "index", "-c", "lain", "--json")
    assert synced.exit_code == 0 and _json(synced)["chunks"] == 2, synced.output
    answer = _cli(env, "ask", "Kapan Merapi meletus?", "-c", "lain", "--json")
    assert answer.exit_code == 0 and _json(answer)["citations"][0]["source"] == "gunung.txt", answer.output


def test_damaged_vector_index_files_still_answer_and_rebuild_recovers(data):
    """Chroma's per-collection vector index files (``chroma/<uuid>/*.bin``) emptied: answers still cite
    the right reading (Chroma's reads, or the vector cache when Chroma cannot return a vector), before
    and after `index --rebuild`, in the rebuilt collection and in the other one."""
    folder, env = data
    segments = [p for p in folder.glob("chroma/*/*.bin")]
    assert segments, list(folder.glob("chroma/*"))
    for path in segments:
        path.write_bytes(b"")

    answer = _cli(env, "ask", "Apa itu Konvensi Budapest?", "--json")
    assert answer.exit_code == 0 and _json(answer)["citations"][0]["source"] == "budapest.txt", answer.output
    rebuilt = _cli(env, "index", "--rebuild", "--json")
    assert rebuilt.exit_code == 0, rebuilt.output
    answer = _cli(env, "ask", "Kapan Merapi meletus?", "-c", "lain", "--json")  # the other collection too
    assert answer.exit_code == 0 and _json(answer)["citations"][0]["source"] == "gunung.txt", answer.output


@pytest.mark.parametrize("damaged", ["manifest.json", "current"])
def test_removing_a_damaged_collection_deletes_its_chroma_collection_only(data, damaged):
    import chromadb

    folder, env = data

    def names() -> set[str]:
        client = chromadb.PersistentClient(path=str(folder / "chroma"))
        return {c.name for c in client.list_collections()}

    before = names()
    assert any(n.startswith("rc-lain-") for n in before) and any(n.startswith("rc-knowledge-") for n in before)
    DAMAGE[damaged](folder)
    result = _cli(env, "collections", "remove", "lain", "--yes", "--json")
    assert result.exit_code == 0, result.output
    after = names()
    assert not any(n.startswith("rc-lain-") for n in after)  # its vectors are gone with it
    assert after == {n for n in before if not n.startswith("rc-lain-")}
    answer = _json(_cli(env, "ask", "Apa itu Konvensi Budapest?", "--json"))
    assert not answer["abstained"] and answer["citations"][0]["source"] == "budapest.txt"


def test_removing_a_damaged_collection_keeps_the_vectors_of_a_collection_named_alike(data, clean, tmp_path):
    import chromadb

    folder, env = data
    shutil.copytree(clean / "lain", tmp_path / "Lain")
    result = _cli(env, "index", "-c", "Lain", "--knowledge", str(tmp_path / "Lain"), "--json")
    assert result.exit_code == 0, result.output
    client = chromadb.PersistentClient(path=str(folder / "chroma"))
    before = {c.name for c in client.list_collections()}
    assert len({n for n in before if n.startswith("rc-lain-")}) == 2  # "lain" and "Lain" share the slug
    DAMAGE["manifest.json"](folder)
    assert _cli(env, "collections", "remove", "lain", "--yes", "--json").exit_code == 0
    assert {c.name for c in chromadb.PersistentClient(path=str(folder / "chroma")).list_collections()} == before
    answer = _json(_cli(env, "ask", "Kapan Gunung Merapi meletus?", "-c", "Lain", "--json"))
    assert not answer["abstained"] and answer["citations"][0]["source"] == "gunung.txt"
