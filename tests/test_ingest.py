"""Loading and cleaning every supported format, and refusing bad files with a reason."""

from __future__ import annotations

import pytest

from assistant.errors import IngestError
from assistant.index.chunking import chunk_document
from assistant.ingest.cleaning import clean_inline, split_paragraphs
from assistant.ingest.loaders import load_document
from tests.fixtures_files import make_docx, make_encrypted_pdf, make_image_only_pdf, make_pdf
from tests.helpers import KNOWLEDGE

SOURCE = KNOWLEDGE / "diplomasi-siber-dan-liberalisme.md"


def test_source_is_cleaned_but_keeps_its_words_and_paragraphs():
    raw = SOURCE.read_text(encoding="utf-8")
    assert "\u00c2" in raw  # the file keeps the author's text, damage included
    document = load_document(SOURCE)
    assert "\u00c2" not in document.text
    assert "\u00a0" not in document.text
    assert "  " not in document.text
    paragraphs = document.text.split("\n\n")
    assert len(paragraphs) == 11
    assert paragraphs[0].startswith("Negara semakin memusatkan")
    assert paragraphs[-2] == "PANDANGAN LIBERALISME DALAM MEMANDANG CYBER DIPLOMACY"
    assert paragraphs[-1].endswith("bagaimana sih liberalisme memandang cyber diplomacy?")
    assert "serampangan.\n\nKarakter" in document.text
    assert document.metadata == {"title": "Diplomasi Siber dan Liberalisme", "language": "id", "kind": "source"}


def test_stray_a_removed_only_where_it_is_a_lost_space():
    assert clean_inline("kesadaran.\u00c2") == "kesadaran."
    assert clean_inline("akhir\u00c2 \u00a0kalimat") == "akhir kalimat"
    assert clean_inline("\u00c2ge d'or") == "\u00c2ge d'or"


def test_hard_wrapped_lines_are_joined_and_blank_lines_split():
    text = "Baris pertama yang panjang sekali dan terus\nberlanjut di baris kedua.\n\nParagraf baru."
    assert split_paragraphs(text) == [
        "Baris pertama yang panjang sekali dan terus berlanjut di baris kedua.",
        "Paragraf baru.",
    ]


def test_non_utf8_text_is_decoded(write):
    text = "Résumé: la coopération numérique et la diplomatie façonnent l'été. " * 5
    path = write("latin.txt", text.encode("cp1252"))
    document = load_document(path)
    assert "coopération numérique" in document.text
    assert "façonnent l'été" in document.text


def test_markdown_front_matter_and_headings(write):
    path = write(
        "catatan.md",
        "---\ntitle: Catatan Uji\nlanguage: id\nauthor: Ani\nyear: 2024\n---\n# Judul Besar\n\n"
        "## Bagian Satu\n\nIsi **penting** dengan [tautan](http://x.y).\n\n## Bagian Dua\n\n- butir satu\n- butir dua\n",
    )
    document = load_document(path)
    assert document.metadata["title"] == "Catatan Uji"
    assert document.metadata["year"] == 2024
    assert [m.label for m in document.sections] == ["Judul Besar", "Bagian Satu", "Bagian Dua"]
    assert "Isi penting dengan tautan." in document.text
    assert "butir satu\n\nbutir dua" in document.text
    chunks = chunk_document(document, 300, 50)
    assert chunks[0].metadata["section"] in ("Judul Besar", "Bagian Satu")
    assert any(c.metadata["section"] == "Bagian Dua" and "butir dua" in c.text for c in chunks)


def test_pdf_keeps_page_numbers(tmp_path):
    path = make_pdf(
        tmp_path / "laporan.pdf",
        [
            "Halaman pertama membahas diplomasi siber dan norma.",
            "Halaman kedua membahas langkah membangun kepercayaan antarnegara.",
        ],
    )
    document = load_document(path)
    assert document.metadata["title"] == "Laporan Uji"
    assert document.metadata["author"] == "Penulis Uji"
    assert [m.label for m in document.pages] == ["1", "2"]
    chunks = chunk_document(document, 60, 0)
    second = next(c for c in chunks if "Halaman kedua" in c.text)
    assert second.metadata["page"] == 2
    assert "p. 2" in second.location


def test_docx_headings_and_properties(tmp_path):
    path = make_docx(
        tmp_path / "esai.docx", "Esai Uji", "Pendahuluan", ["Paragraf pertama tentang ASEAN.", "Paragraf kedua."]
    )
    document = load_document(path)
    assert document.metadata["title"] == "Esai Uji"
    assert document.sections[0].label == "Pendahuluan"
    assert document.text == "Pendahuluan\n\nParagraf pertama tentang ASEAN.\n\nParagraf kedua."


def test_html_main_text_only(write):
    path = write(
        "halaman.html",
        "<html lang='en'><head><title>Cyber Norms</title><script>var x=1;</script></head><body>"
        "<nav>Home | About</nav><main><h1>Norms</h1><p>States agreed on <b>eleven</b> norms.</p>"
        "<ul><li>Protect critical infrastructure.</li></ul></main><footer>Copyright</footer></body></html>",
    )
    document = load_document(path)
    assert document.text == "Norms\n\nStates agreed on eleven norms.\n\nProtect critical infrastructure."
    assert document.metadata["title"] == "Cyber Norms"
    assert document.metadata["language"] == "en"


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("kosong.txt", b"", "empty"),
        ("spasi.md", b"   \n\n  ", "empty"),
        ("biner.txt", b"\x00\x01\x02binary\x00data" * 20, "binary"),
        ("rusak.pdf", b"%PDF-1.4 this is not really a pdf", "corrupt"),
        ("rusak.docx", b"PK\x03\x04 broken zip", "corrupt"),
        ("gambar.png", b"\x89PNG", "unsupported"),
    ],
)
def test_bad_files_are_refused_with_a_reason(write, name, content, reason):
    with pytest.raises(IngestError, match=reason):
        load_document(write(name, content))


def test_encrypted_and_textless_pdfs_are_refused(tmp_path):
    with pytest.raises(IngestError, match="encrypted PDF"):
        load_document(make_encrypted_pdf(tmp_path / "kunci.pdf"))
    with pytest.raises(IngestError, match="no text layer"):
        load_document(make_image_only_pdf(tmp_path / "pindaian.pdf"))


def test_size_limit(write):
    path = write("besar.txt", "kata " * 100_000)
    with pytest.raises(IngestError, match="over the 0.1 MB limit"):
        load_document(path, max_mb=0.1)
