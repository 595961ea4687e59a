"""Shared fixtures: offline environment, settings with a temporary data folder, an indexed
default collection, and a vector cache shared by the whole session (so the real embedder runs
once per distinct text). Helpers that tests import live in ``tests/helpers.py``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import KNOWLEDGE, ROOT, free_port, screenshot_folder  # noqa: F401 (older imports of conftest)


def pytest_configure(config):
    for key in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        del os.environ[key]
    from assistant.config import OFFLINE_ENVIRONMENT

    os.environ.update(OFFLINE_ENVIRONMENT)


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path, monkeypatch):
    """Run each test in an empty working directory, so no assistant.toml leaks in."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("vector-cache")


@pytest.fixture
def make_settings(tmp_path, shared_cache):
    """Factory of Settings with a fresh data folder and the shared vector cache."""
    from assistant.config import Settings

    def make(**overrides):
        values = {"data_dir": tmp_path / "data", "cache_dir": shared_cache, "knowledge_dir": KNOWLEDGE}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory, shared_cache):
    """Settings whose data folder holds the default collection ``knowledge`` indexed once."""
    from assistant.config import Settings
    from assistant.index.sync import sync_collection

    settings = Settings(data_dir=tmp_path_factory.mktemp("indexed"), cache_dir=shared_cache, knowledge_dir=KNOWLEDGE)
    report = sync_collection(settings)
    assert not report.failed, report.failed
    return settings


@pytest.fixture(scope="session", autouse=True)
def _web_servers(request):
    """Web app processes started by the tests (``tests/ui_server.py``) are stopped, and their
    working folders deleted, when the session ends."""
    from tests import ui_server

    request.addfinalizer(ui_server.stop_all)


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where browser tests save screenshots: a temporary folder, or ``docs/screenshots/`` when
    ``ASSISTANT_REFRESH_SCREENSHOTS=1`` asks to refresh the committed ones."""
    return screenshot_folder(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture
def write(tmp_path):
    """Write a text file under tmp_path/readings and return its path."""
    folder = tmp_path / "readings"

    def _write(name: str, content: str | bytes) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    _write.folder = folder
    return _write


@pytest.fixture(scope="session")
def web_server(indexed_settings):
    """The shared ``assistant serve`` of the default collection (``tests/ui_server.shared_server``)."""
    from tests.ui_server import shared_server

    return shared_server(indexed_settings)


@pytest.fixture(scope="module")
def web_client(web_server):
    """A ``gradio_client`` of :func:`web_server`."""
    from gradio_client import Client

    return Client(web_server.url, verbose=False)
