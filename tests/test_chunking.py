"""Chunk windows: exact offsets, stable ids, paragraph-aware cuts and overlap."""

from __future__ import annotations

from assistant.index.chunking import chunk_document
from assistant.ingest.loaders import load_document
from assistant.text.sentences import sentence_spans
from assistant.types import Document
from tests.helpers import KNOWLEDGE


def _doc(text: str) -> Document:
    return Document(source="uji.txt", text=text, metadata={"title": "Uji"})


def test_offsets_are_exact_and_ids_stable():
    document = load_document(KNOWLEDGE / "diplomasi-siber-dan-liberalisme.md")
    first = chunk_document(document, 900, 150)
    again = chunk_document(load_document(KNOWLEDGE / "diplomasi-siber-dan-liberalisme.md"), 900, 150)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
    for chunk in first:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 900
    covered = set()
    for chunk in first:
        covered.update(range(chunk.start, chunk.end))
    letters = {i for i, ch in enumerate(document.text) if not ch.isspace()}
    assert letters <= covered


def test_definition_paragraph_is_not_split():
    document = load_document(KNOWLEDGE / "diplomasi-siber-dan-liberalisme.md")
    paragraph = next(p for p in document.text.split("\n\n") if p.startswith("Cyber diplomacy secara luas"))
    assert any(paragraph in c.text for c in chunk_document(document, 900, 150))


def test_long_paragraph_is_split_with_sentence_overlap():
    sentences = [f"Kalimat nomor {i} membahas diplomasi siber secara rinci." for i in range(30)]
    document = _doc(" ".join(sentences))
    chunks = chunk_document(document, 300, 120)
    assert len(chunks) > 3
    for before, after in zip(chunks, chunks[1:]):
        assert after.start < before.end  # overlapping windows
        assert before.text.split(". ")[-1].rstrip(".") in after.text
    assert all(c.text.endswith(".") for c in chunks)


def test_short_paragraphs_are_packed_and_headings_open_windows():
    text = "Judul\n\nSatu kalimat pendek.\n\nDua kalimat pendek.\n\nBagian Baru\n\nTiga kalimat pendek."
    document = Document("uji.md", text, {"title": "Uji"})
    from assistant.types import Marker

    document.sections = [Marker(0, "Judul"), Marker(text.index("Bagian Baru"), "Bagian Baru")]
    chunks = chunk_document(document, 500, 0)
    assert [c.text for c in chunks] == [
        "Judul\n\nSatu kalimat pendek.\n\nDua kalimat pendek.",
        "Bagian Baru\n\nTiga kalimat pendek.",
    ]
    assert chunks[1].metadata["section"] == "Bagian Baru"


def test_sentence_split_respects_abbreviations():
    text = "Lihat Dr. Nye dkk. untuk rinciannya. Kalimat kedua dimulai di sini."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Lihat Dr. Nye dkk. untuk rinciannya.", "Kalimat kedua dimulai di sini."]


def test_word_longer_than_window_is_cut():
    document = _doc("a" * 50 + " " + "b" * 700)
    chunks = chunk_document(document, 200, 0)
    assert all(len(c.text) <= 200 for c in chunks)
    assert "".join(c.text for c in chunks).replace(" ", "") == document.text.replace(" ", "")
