"""The offline dependency audit (benchmarks/dependency_audit.py): pins read from a lock file and matched
against an advisory database in safety-db's format."""

from __future__ import annotations

import json

from benchmarks.dependency_audit import audit, main, read_pins
from tests.helpers import ROOT

DATABASE = {
    "$meta": {"advisory": "metadata", "timestamp": 1625119202},
    "Jinja2": [{"id": "adv-1", "cve": "CVE-0000-1", "advisory": "sandbox escape", "specs": ["<2.10.1"]}],
    "py-yaml": [{"id": "adv-2", "cve": None, "advisory": "load is unsafe", "specs": [">=5.0,<5.4", "<3.0"]}],
    "requests": [{"id": "adv-3", "cve": None, "advisory": "redirect leak", "specs": ["<2.20.0"]}],
}


def test_pins_are_read_from_a_freeze_file(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "# a comment\n--extra-index-url file:///x\njinja2==2.10\nPy_YAML==5.3.1  # note\nrequests>=2\n"
        "torch==2.13.0+cpu\n-e git+https://example.invalid/x#egg=x\n",
        encoding="utf-8",
    )
    pins = read_pins(lock)
    assert {k: str(v) for k, v in pins.items()} == {"jinja2": "2.10", "py-yaml": "5.3.1", "torch": "2.13.0+cpu"}


def test_only_versions_inside_a_vulnerable_range_match(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("jinja2==2.10\npy-yaml==5.4\nrequests==2.31.0\n", encoding="utf-8")
    matches = audit(read_pins(lock), DATABASE)
    assert [(m["package"], m["id"]) for m in matches] == [("jinja2", "adv-1")]  # 5.4 and 2.31.0 are fixed
    lock.write_text("py-yaml==2.9\n", encoding="utf-8")
    assert [m["spec"] for m in audit(read_pins(lock), DATABASE)] == ["<3.0"]


def test_the_command_exits_1_on_a_match_and_0_without(tmp_path, capsys):
    database = tmp_path / "insecure_full.json"
    database.write_text(json.dumps(DATABASE), encoding="utf-8")
    lock = tmp_path / "lock.txt"
    lock.write_text("jinja2==2.10\n", encoding="utf-8")
    assert main([str(lock), "--db", str(tmp_path)]) == 1
    assert "jinja2==2.10: <2.10.1 [adv-1] CVE-0000-1" in capsys.readouterr().out
    lock.write_text("jinja2==3.1.4\n", encoding="utf-8")
    assert main([str(lock), "--db", str(database)]) == 0
    assert "0 matches" in capsys.readouterr().out


def test_the_committed_lock_file_pins_the_project_s_own_dependencies():
    pins = read_pins(ROOT / "docs" / "requirements-lock.txt")
    assert {"chromadb", "gradio", "langchain-core", "sentence-transformers", "torch"} <= set(pins)
