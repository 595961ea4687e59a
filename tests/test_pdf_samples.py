"""PDFs nobody here made: every file of the py-pdf sample corpus, indexed as a collection.

Readable PDFs are indexed with text on every page (page counts from the corpus's own
``files.json``); the encrypted one, the one whose page tree cannot be opened and the image-only
ones are refused with their reason; the parsing library's notes on damaged files go to the log,
never to the console.

The corpus is third-party data read where it lies: ``PDF_SAMPLES_DIR``, by default
``../shared/data/pdf-samples`` beside the repository. Without it the test is skipped (a clone
elsewhere has no corpus beside it), except when ``PDF_SAMPLES_DIR`` names a folder that is missing,
where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.pdf_samples import index_samples, listed_pages, text_per_page
from tests.helpers import ROOT

SAMPLES = Path(os.environ.get("PDF_SAMPLES_DIR") or ROOT.parent / "shared" / "data" / "pdf-samples")
REFUSED = {
    "005-libreoffice-writer-password/libreoffice-writer-password.pdf": "encrypted PDF: remove the password",
    "017-unreadable-meta-data/unreadablemetadata.pdf": "corrupt or unreadable PDF",
    # pictures of text without a text layer
    **{
        name: "PDF has no text layer (scanned images?): run OCR"
        for name in (
            "007-imagemagick-images/imagemagick-ASCII85Decode.pdf",
            "007-imagemagick-images/imagemagick-CCITTFaxDecode.pdf",
            "007-imagemagick-images/imagemagick-lzw.pdf",
            "019-grayscale-image/grayscale-image.pdf",
            "023-cmyk-image/cmyk-image.pdf",
        )
    },
}


# Pages that are only a picture (no text layer at all: pypdf finds no text on them).
PICTURE_PAGES = {"007-imagemagick-images/imagemagick-images.pdf": {4, 5}}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, shared_cache):
    if not (SAMPLES / "files.json").is_file():
        reason = f"the PDF sample corpus is not at {SAMPLES} (set PDF_SAMPLES_DIR to its folder)"
        if os.environ.get("PDF_SAMPLES_DIR"):
            pytest.fail(f"{reason}: PDF_SAMPLES_DIR is set, so this test fails instead of skipping", pytrace=False)
        pytest.skip(reason)
    return index_samples(SAMPLES, tmp_path_factory.mktemp("pdf-samples"), shared_cache)


def test_every_readable_pdf_is_indexed_with_text_on_every_page(indexed):
    report, by_source = indexed
    listed = listed_pages(SAMPLES)
    readable = sorted(set(listed) - set(REFUSED))
    assert len(readable) >= 20
    assert sorted(by_source) == readable
    for source in readable:
        pages, characters = text_per_page(SAMPLES, source)
        expected = set(range(1, listed[source] + 1)) - PICTURE_PAGES.get(source, set())
        assert pages == expected, (source, sorted(pages), listed[source])
        assert characters > 0


def test_unreadable_pdfs_are_refused_with_their_reason(indexed):
    report, _ = indexed
    failed = {row["path"]: row["error"] for row in report.failed}
    assert sorted(failed) == sorted(REFUSED)
    for source, reason in REFUSED.items():
        assert reason in failed[source], (source, failed[source])


def test_library_notes_go_to_the_log_not_the_console(capfd, caplog):
    from assistant.errors import IngestError
    from assistant.ingest.loaders import load_document

    damaged = "017-unreadable-meta-data/unreadablemetadata.pdf"
    if not (SAMPLES / damaged).is_file():
        pytest.skip("no sample corpus")
    with caplog.at_level("INFO", logger="assistant.ingest"), pytest.raises(IngestError, match="unreadable PDF"):
        load_document(SAMPLES / damaged, damaged)
    captured = capfd.readouterr()
    assert "xref" not in captured.err + captured.out
    notes = [r.getMessage() for r in caplog.records if r.name == "assistant.ingest"]
    assert any(note.startswith(f"{damaged}: pypdf") and "xref" in note for note in notes), notes


def test_geotopo_text_has_no_unresolved_ligatures_or_replacement_characters():
    """The LaTeX lecture script (117 pages, German, formulas) that used to warn about fontTools."""
    from assistant.ingest.loaders import load_document

    path = SAMPLES / "009-pdflatex-geotopo/GeoTopo-komprimiert.pdf"
    if not path.is_file():
        pytest.skip("no sample corpus")
    text = load_document(path).text
    assert not any(ch in text for ch in "\ufb00\ufb01\ufb02\ufb03\ufb04\ufffd")
    assert "Überdeckung" in text and "kompakt" in text
