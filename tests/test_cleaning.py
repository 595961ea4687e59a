"""Front matter (python-frontmatter's YAML handler) and Markdown read into blocks (markdown-it-py)."""

from __future__ import annotations

import datetime

import pytest

from assistant.errors import IngestError
from assistant.ingest.cleaning import split_front_matter


def test_front_matter_is_split_off_and_read_as_yaml():
    meta, body = split_front_matter(
        "---\ntitle: \"Catatan: Uji\"\nyear: 2024\ndate: 2024-05-01\ntopics: [a, b]\n---\n# H\n\nIsi.\n"
    )
    assert meta == {"title": "Catatan: Uji", "year": 2024, "date": datetime.date(2024, 5, 1), "topics": ["a", "b"]}
    assert body == "# H\n\nIsi.\n"
    assert split_front_matter("---\n---\nBody")[0] == {}


@pytest.mark.parametrize(
    "text",
    [
        "No front matter.\n\n---\n\nA rule above, and text.",  # a rule later on is not front matter
        "---\ntitle: never closed\n\nBody",
        "Text first\n---\ntitle: x\n---\n",
    ],
)
def test_text_without_front_matter_is_left_as_it_is(text):
    assert split_front_matter(text) == ({}, text)


@pytest.mark.parametrize(
    "text, reason",
    [("---\ntitle: [unclosed\n---\nBody", "not valid YAML"), ("---\n- a\n- b\n---\nBody", "YAML mapping")],
)
def test_bad_front_matter_is_refused_with_what_to_fix(text, reason):
    with pytest.raises(IngestError, match=reason):
        split_front_matter(text)
