"""What the browser tests do when Chromium is missing: skip with what to install, or, under
``CI=true``, fail (so CI cannot pass with its browser tests silently skipped)."""

from __future__ import annotations

import pytest

from tests import ui_server


@pytest.fixture
def no_chromium(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `chromium` on PATH
    monkeypatch.setattr(ui_server, "CHROMIUM", str(tmp_path / "no-chromium"))


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_chromium_fails_under_ci(no_chromium, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        ui_server.chromium()


def test_missing_chromium_skips_with_what_to_install_otherwise(no_chromium, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium chromium-driver"):
        ui_server.chromium()


def test_chromium_on_path_is_found(monkeypatch, tmp_path):
    executable = tmp_path / "chromium"
    executable.write_text("#!/bin/sh\n", encoding="utf-8")
    executable.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert ui_server.chromium() == str(executable)
