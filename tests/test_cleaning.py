"""Front matter (python-frontmatter's YAML handler) and Markdown read into blocks (markdown-it-py)."""

from __future__ import annotations

import datetime

import pytest

from assistant.errors import IngestError
from assistant.ingest.cleaning import markdown_blocks, split_front_matter


def test_front_matter_is_split_off_and_read_as_yaml():
    meta, body = split_front_matter(
        '---\ntitle: "Catatan: Uji"\nyear: 2024\ndate: 2024-05-01\ntopics: [a, b]\n---\n# H\n\nIsi.\n'
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


def test_markdown_becomes_headings_and_paragraphs_of_plain_text():
    body = (
        "# Judul *Besar*\n\nIsi **penting** dengan [tautan](http://x.y), `kode`, ![gambar peta](p.png) &amp; a\\*b.\n\n"
        "Baris panjang yang terus berlanjut tanpa titik\ndan disambung di baris kedua.\n\n"
        "Setext\n======\n\n- butir satu\n- butir **dua**\n\n1. nomor\n\n> kutipan\n\n"
        "| Kolom | Nilai |\n|---|---|\n| a | 1 |\n\n<div>markup</div>\n\n```\nbaris kode\n```\n\n---\n\nAkhir."
    )
    blocks = [(b.kind, b.text) for b in markdown_blocks(body)]
    assert blocks == [
        ("heading", "Judul Besar"),
        ("para", "Isi penting dengan tautan, kode, gambar peta & a*b."),
        ("para", "Baris panjang yang terus berlanjut tanpa titik dan disambung di baris kedua."),
        ("heading", "Setext"),
        ("para", "butir satu"),
        ("para", "butir dua"),
        ("para", "nomor"),
        ("para", "kutipan"),
        ("para", "Kolom | Nilai"),
        ("para", "a | 1"),
        ("para", "baris kode"),
        ("para", "Akhir."),
    ]


def test_every_knowledge_reading_reads_as_before_the_swap():
    """The readings' text, sections and metadata are what the hand-written line parser gave (its
    output for these files was: paragraphs, ``#`` headings, no inline markup left)."""
    from assistant.ingest.loaders import load_document
    from tests.helpers import KNOWLEDGE

    for path in sorted(KNOWLEDGE.glob("*.md")):
        if path.name == "README.md":
            continue
        document = load_document(path)
        text = path.read_text(encoding="utf-8")
        headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
        assert [m.label for m in document.sections] == headings, path.name
        assert all(document.text[m.offset :].startswith(m.label) for m in document.sections), path.name
        assert not any(mark in document.text for mark in ("**", "](", "\n#")), path.name
