"""Start the real web app (`python -m assistant serve`) in a subprocess for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.config import OFFLINE_ENVIRONMENT
from tests.helpers import ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> str:
    """The Chromium executable for the browser tests.

    When it is missing the test is skipped with what to install, except under ``CI=true``, where a
    browser test that cannot run fails: CI must not pass with the browser tests silently skipped.
    """
    found = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if found:
        return found
    message = (
        f"Chromium not found (no `chromium` on PATH, no {CHROMIUM}): `make test` installs it when run as "
        "root; otherwise install it yourself (Debian/Ubuntu: apt-get install chromium chromium-driver)"
    )
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}. CI is set, so the browser tests fail instead of skipping.", pytrace=False)
    pytest.skip(message)


@contextmanager
def browser_page(url: str, ready: str, timeout_ms: int = 60_000, tab: str | None = None) -> Iterator:
    """A headless Chromium page on ``url``, loaded and showing ``ready`` (a CSS selector), after
    opening the tab named ``tab`` when given; the browser is closed afterwards."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(timeout_ms)
            page.goto(url, wait_until="load")
            if tab:
                page.get_by_role("tab", name=tab).click()
            page.wait_for_selector(ready)
            yield page
        finally:
            browser.close()


def settings_env(settings, **extra: str) -> dict[str, str]:
    """Environment for a server using ``settings``' folders (plus ``ASSISTANT_*`` extras)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_DATA_DIR=str(settings.data_dir),
        ASSISTANT_KNOWLEDGE_DIR=str(settings.knowledge_dir),
        ASSISTANT_COLLECTION=settings.collection,
        ASSISTANT_EVALS_DIR=str(ROOT / "evals"),
        **OFFLINE_ENVIRONMENT,
    )
    if settings.cache_dir:
        env["ASSISTANT_CACHE_DIR"] = str(settings.cache_dir)
    env.update(extra)
    return env


@dataclass
class Server:
    """A running ``assistant serve`` process."""

    url: str
    port: int
    process: subprocess.Popen
    log: Path
    started: float = field(default_factory=time.perf_counter)
    ready_seconds: float | None = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = 240.0) -> Server:
        """Block until the page is served (HTTP 200); raise with the server's output otherwise."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    if response.status == 200:
                        self.ready_seconds = time.perf_counter() - self.started
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"server not ready after {timeout:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(settings, port: int | None = None, args: list[str] | None = None, **env: str) -> Server:
    """Start ``python -m assistant serve`` on a free port (not waiting: call ``wait_ready``)."""
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="ui-server-"))  # no assistant.toml here
    log = workdir / "server.log"
    with open(log, "wb") as fh:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port), *(args or [])],
            cwd=workdir,
            env=settings_env(settings, **env),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}/", port, process, log)
    _STARTED.append(server)
    return server


_STARTED: list[Server] = []
_SHARED: dict[str, Server] = {}


def stop_all() -> None:
    """Stop every server started in this session and delete their working folders (the session
    fixture in ``conftest.py`` calls it as its finalizer)."""
    for server in _STARTED:
        server.stop()
        shutil.rmtree(server.log.parent, ignore_errors=True)
    _STARTED.clear()
    _SHARED.clear()


def shared_server(settings, key: str = "default", **env: str) -> Server:
    """One server per ``key`` for the whole test session (stopped by :func:`stop_all`)."""
    server = _SHARED.get(key)
    if server is None or server.process.poll() is not None:
        server = _SHARED[key] = start_server(settings, **env)
    return server.wait_ready()
