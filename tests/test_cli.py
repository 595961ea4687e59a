"""The CLI contract for `index` and `search`, through typer's runner and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app

runner = CliRunner()


def _env(settings):
    return {
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_CACHE_DIR": str(settings.vector_cache_dir),
        "ASSISTANT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
    }


def test_index_json_contract_and_nothing_embedded_on_rerun(indexed_settings):
    result = runner.invoke(app, ["index", "--json"], env=_env(indexed_settings))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert {"collection", "added", "updated", "removed", "unchanged", "failed", "chunks", "seconds"} <= set(data)
    assert data["collection"] == "knowledge"
    assert (data["added"], data["updated"], data["removed"], data["embedded"]) == (0, 0, 0, 0)
    assert data["unchanged"] >= 10 and data["chunks"] > 20
    table = runner.invoke(app, ["index"], env=_env(indexed_settings))
    assert "nothing to embed" in table.stdout


def test_search_ranks_the_definition_paragraph(indexed_settings):
    result = runner.invoke(app, ["search", "--json", "Apa definisi cyber diplomacy?"], env=_env(indexed_settings))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["query"] == "Apa definisi cyber diplomacy?" and data["collection"] == "knowledge"
    first = data["results"][0]
    assert {"rank", "chunk_id", "source", "title", "text", "start", "end", "score"} <= set(first)
    assert first["source"] == "diplomasi-siber-dan-liberalisme.md"
    assert "Cyber diplomacy secara luas digambarkan sebagai" in first["text"]
    assert [r["rank"] for r in data["results"]] == list(range(1, 6))

    english = json.loads(
        runner.invoke(
            app, ["search", "--json", "-k", "3", "How is cyber diplomacy defined?"], env=_env(indexed_settings)
        ).stdout
    )
    assert any("secara luas digambarkan sebagai" in r["text"] for r in english["results"])


def test_search_offsets_point_into_the_cleaned_text(indexed_settings):
    from assistant.ingest.loaders import load_document
    from tests.helpers import KNOWLEDGE

    data = json.loads(
        runner.invoke(app, ["search", "--json", "-k", "10", "norma siber ASEAN"], env=_env(indexed_settings)).stdout
    )
    for r in data["results"]:
        document = load_document(KNOWLEDGE / r["source"], r["source"])
        assert document.text[r["start"] : r["end"]] == r["text"]


def test_usage_errors_exit_2_with_a_message(indexed_settings, tmp_path):
    missing = runner.invoke(app, ["search", "x", "--collection", "tidak-ada"], env=_env(indexed_settings))
    assert missing.exit_code == 2 and "not indexed yet" in missing.output
    bad_embedder = runner.invoke(app, ["index"], env={**_env(indexed_settings), "ASSISTANT_EMBEDDER": "nope"})
    assert bad_embedder.exit_code == 2 and "unknown embedder" in bad_embedder.output
    bad_setting = runner.invoke(app, ["index"], env={**_env(indexed_settings), "ASSISTANT_CHUNK_OVERLAP": "5000"})
    assert bad_setting.exit_code == 2 and "chunk_overlap" in bad_setting.output
    no_folder = runner.invoke(app, ["index", "--knowledge", str(tmp_path / "nope")], env=_env(indexed_settings))
    assert no_folder.exit_code == 2 and "does not exist" in no_folder.output


def test_skipped_files_exit_3(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder)
    write("ok.txt", "Teks yang bisa dibaca.")
    write("bad.txt", b"\x00\x00\x00")
    result = runner.invoke(app, ["index", "--json"], env=_env(settings))
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["added"] == 1 and data["failed"][0]["path"] == "bad.txt" and "binary" in data["failed"][0]["error"]


@pytest.mark.parametrize("command", [[], ["index"], ["search"]])
def test_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_python_dash_m_entry_point(indexed_settings):
    env = dict(os.environ, **_env(indexed_settings))
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", "search", "--json", "-k", "1", "kekuatan lunak"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["rank"] == 1
