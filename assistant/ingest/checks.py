"""Checks a file passes before (and while) it is read, so one odd file costs bounded time and memory
and is refused with a reason: its content against its extension (``puremagic``), a link that leads
out of the reading folder, a DOCX that unpacks to far more than it weighs (a zip bomb), and a file
whose text would become more passages than a sync should embed for one reading.

The bounds are settings (:class:`Limits` is built from them), each named in the message that
refuses a file so the user knows what to split or raise.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from assistant.errors import IngestError

DOCX_MAX_MEMBERS = 2000  # files inside one .docx (Word writes about 10-40)
DOCX_MAX_PARAGRAPHS = 50_000  # a 500-page book has about 10,000
_WORD = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# What a content sniff may find in a file, by the extension puremagic gives it.
_DESCRIPTIONS = {
    ".pdf": "a PDF",
    ".docx": "a Word document (.docx)",
    ".doc": "an old Word document (.doc) or an encrypted Office file",
    ".xlsx": "a spreadsheet (.xlsx)",
    ".pptx": "a presentation (.pptx)",
    ".zip": "a zip archive",
    ".png": "a PNG image",
    ".jpg": "a JPEG image",
    ".gif": "a GIF image",
    ".exe": "a program",
    ".gz": "a gzip archive",
    ".epub": "an e-book (.epub)",
    ".odt": "an OpenDocument text (.odt)",
    ".rtf": "an RTF document",
}
_BINARY = frozenset(_DESCRIPTIONS) - {".rtf"}
_OLE = bytes.fromhex("d0cf11e0a1b11ae1")  # Office's old container: .doc, and any password-protected .docx


@dataclass(frozen=True)
class Limits:
    """How much one file may cost: size on disk, PDF pages, unpacked DOCX size, passages."""

    max_mb: float = 25.0
    max_pdf_pages: int = 1000
    max_docx_mb: float = 100.0
    max_passages: int = 5000
    chunk_size: int = 900
    chunk_overlap: int = 150

    @classmethod
    def from_settings(cls, settings, max_mb: float | None = None) -> Limits:
        return cls(
            max_mb=settings.max_file_mb if max_mb is None else max_mb,
            max_pdf_pages=settings.max_pdf_pages,
            max_docx_mb=settings.max_docx_mb,
            max_passages=settings.max_chunks_per_file,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
        )


def sniffed(path: Path) -> str | None:
    """The extension the file's content says it has (``.pdf``, ``.docx``, ``.zip``, …), or None
    when the content has no known signature (plain text has none)."""
    import puremagic

    with open(path, "rb") as fh:
        head = fh.read(65536)
    try:
        found = puremagic.magic_string(head)  # by content only: the name would bias the guess
    except (puremagic.PureError, ValueError):
        return None
    best = max(found, key=lambda match: match.confidence, default=None)
    if best is None or best.confidence < 0.4:  # signatures of a few bytes (0.1-0.2) are not evidence
        return None
    return best.extension.lower() or None


def check_content(path: Path, kind: str) -> None:
    """Refuse a file whose content is another type than its extension says (a renamed file).

    Raises
    ------
    IngestError
        E.g. ``not a PDF: the content is a Word document (.docx) (a renamed file?)``.
    """
    found = sniffed(path)
    if kind == "pdf":
        if found is not None and found != ".pdf":
            raise IngestError(f"not a PDF: the content is {_DESCRIPTIONS.get(found, found)} (a renamed file?)")
        with open(path, "rb") as fh:
            if b"%PDF-" not in fh.read(1024):
                raise IngestError("not a PDF: the content does not start with %PDF- (a renamed file?)")
    elif kind == "docx":
        with open(path, "rb") as fh:
            ole = fh.read(8) == _OLE
        if ole or found == ".doc":
            raise IngestError(
                "not a .docx: this is an old Word .doc or a password-protected Office file: "
                "remove the password and save it as .docx from Word"
            )
        if found is not None and found not in (".docx", ".zip", ".xlsx", ".pptx", ".odt", ".epub"):
            raise IngestError(
                f"not a Word document: the content is {_DESCRIPTIONS.get(found, found)} (a renamed file?)"
            )
    elif found in _BINARY:
        raise IngestError(
            f"not a text file: the content is {_DESCRIPTIONS[found]} (a renamed file?): give it its real extension"
        )


def check_inside(path: Path, root: Path) -> None:
    """Refuse a file that is, or lies under, a link leading out of the reading folder ``root``.

    Raises
    ------
    IngestError
        Naming where the link leads is avoided: the message says what to do.
    """
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a dangling link or a loop
        raise IngestError(f"a broken link ({exc.__class__.__name__}): remove it or copy the file in") from exc
    if not real.is_relative_to(root.resolve()):
        raise IngestError(
            "a link to a file outside the reading folder: not followed; copy the file into the folder instead"
        )


def check_passages(text: str, limits: Limits, slack: float = 1.0) -> None:
    """Refuse a text that would give more than ``limits.max_passages`` passages to embed (more than
    ``slack`` times that, for a raw text checked before parsing: its markup may shrink).

    Raises
    ------
    IngestError
        With the estimate and the setting to raise (``ASSISTANT_MAX_CHUNKS_PER_FILE``).
    """
    step = max(1, limits.chunk_size - limits.chunk_overlap)
    estimate = len(text) // step + 1
    if estimate > limits.max_passages * slack:
        raise IngestError(
            f"too long to index as one reading: {len(text):,} characters make about {estimate:,} passages, "
            f"over the limit of {limits.max_passages:,} per file: split the file, or raise "
            "ASSISTANT_MAX_CHUNKS_PER_FILE (on a laptop CPU embedding takes minutes per 1,000 passages)"
        )


def check_docx(path: Path, limits: Limits) -> None:
    """Check a .docx before it is parsed: a zip with ``word/document.xml``, at most
    :data:`DOCX_MAX_MEMBERS` members, declared unpacked size within ``limits.max_docx_mb``, and a
    body that, read as a stream, stays within that size and :data:`DOCX_MAX_PARAGRAPHS` paragraphs.

    Raises
    ------
    IngestError
        For a file that is not a Word document, or one that would cost too much to read.
    """
    limit = int(limits.max_docx_mb * 1024 * 1024)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > DOCX_MAX_MEMBERS:
                raise IngestError(f"not a usable Word document: {len(members):,} files inside (a zip bomb?)")
            if "word/document.xml" not in {m.filename for m in members}:
                raise IngestError(
                    "not a Word document: the zip holds no word/document.xml (save it as .docx from Word)"
                )
            declared = sum(m.file_size for m in members)
            if declared > limit:
                raise IngestError(_too_big(f"unpacks to {declared / 1e6:,.0f} MB", limits))
            with archive.open("word/document.xml") as body:
                _count_paragraphs(_Bounded(body, limit, limits), DOCX_MAX_PARAGRAPHS)
    except IngestError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise IngestError(f"corrupt or unreadable DOCX ({exc}): re-save it from Word") from exc


def _too_big(what: str, limits: Limits) -> str:
    return (
        f"Word document {what}, over the {limits.max_docx_mb:g} MB limit for its unpacked content "
        "(a zip bomb?): re-save it from Word, or split it"
    )


class _Bounded:
    """A read-only stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, stream: IO[bytes], limit: int, limits: Limits) -> None:
        self._stream, self._left, self._limits = stream, limit, limits

    def read(self, n: int = -1) -> bytes:
        data = self._stream.read(65536 if n is None or n < 0 else min(n, 1 << 20))
        self._left -= len(data)
        if self._left < 0:
            raise IngestError(_too_big("body is larger than its declared size", self._limits))
        return data


def _count_paragraphs(stream: _Bounded, most: int) -> None:
    from lxml import etree

    count = 0
    try:
        for _, element in etree.iterparse(stream, events=("end",), tag=f"{_WORD}p", huge_tree=False):
            count += 1
            if count > most:
                raise IngestError(
                    f"Word document has more than {most:,} paragraphs: split it, or remove the empty ones"
                )
            element.clear()
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"corrupt DOCX (word/document.xml: {exc}): re-save it from Word") from exc
