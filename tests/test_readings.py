"""The related readings: all indexed, each one's key passage found in Indonesian and English."""

from __future__ import annotations

import json

import pytest

from assistant.ingest.loaders import load_document
from assistant.retrieval.retriever import open_retriever
from tests.helpers import KNOWLEDGE

KEYS = json.loads((KNOWLEDGE / ".readings-keys.json").read_text(encoding="utf-8"))
READINGS = sorted(p.name for p in KNOWLEDGE.glob("*.md") if p.name != "README.md" and p.name in KEYS)
# Key passages outside the top 5 before this was fixed: six, all a question in the other language
# than the reading (the 4-bit e5-small links the languages loosely, BM25 not at all). Glossary
# expansion (assistant/crosslingual.py) brought that to one: the Indonesian question on why liberals
# expect cooperation ranked the English key passage 6th, behind four passages of the Indonesian
# liberalism reading; the cap of 3 passages per reading in the top 5 (setting source_cap) lets it in.
# (language, reading) -> why its key passage is not in the top 5. Empty since cross-lingual
# expansion (12/18 -> 17/18) and the cap of 3 passages per reading in the top 5 (18/18).
KNOWN_MISSES: dict[tuple[str, str], str] = {}


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
    pytest.param(
        lang,
        name,
        marks=[pytest.mark.xfail(reason=KNOWN_MISSES[lang, name], strict=False)]
        if (lang, name) in KNOWN_MISSES
        else [],
    )
    for name in READINGS
    for lang in ("id", "en")
]


@pytest.mark.parametrize("lang, name", CASES)
def test_key_passage_found_for_a_question_on_its_topic(indexed_settings, lang, name):
    key = KEYS[name]
    passages = open_retriever(indexed_settings).search(key[f"question_{lang}"], 5)
    hits = [p for p in passages if p.chunk.source == name and key["key_passage"] in p.chunk.text]
    assert hits, [(p.chunk.source, p.chunk.text[:60]) for p in passages]
