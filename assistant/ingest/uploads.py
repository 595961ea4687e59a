"""Upload checks: a file is checked by content (magic bytes, zip layout, text decoding) against
its type, given a safe name, and loaded once exactly as a sync would before it is copied."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
import zipfile
from pathlib import Path

from assistant.config import Settings
from assistant.errors import IngestError, UploadError
from assistant.ingest.cleaning import decode_text
from assistant.ingest.formats import SKIPPED_NAMES, TEXT_FORMATS, format_of
from assistant.ingest.loaders import load_document

_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|title|p|div|h[1-6]|article|main|section|br|ul|li|table)\b", re.I
)
_UNSAFE = re.compile(r"[^\w.\- ()+,]+", re.UNICODE)


def safe_name(name: str) -> str:
    """A file name that stays inside the collection folder and is not skipped by a sync.

    Directories (``/`` or ``\\``), ``..``, control characters and leading dots are removed;
    other unusual characters become ``-``; the suffix is lower-cased; long names are shortened.
    """
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    base = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in base)
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("-", stem).replace("..", ".").strip(" .-_") or "document"
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())
    result = f"{stem[:120]}.{suffix}" if suffix else stem[:120]
    if result.lower() in SKIPPED_NAMES:
        result = f"reading-{result}"
    return result


def sniff(path: Path, suffix: str, max_mb: float) -> str:
    """Check a file's content against its type; return its format (text, markdown, pdf, docx, html).

    Raises
    ------
    UploadError
        For an unsupported type, a file over ``max_mb``, or content that is not what the
        extension claims.
    """
    kind = format_of(suffix)
    if kind is None:
        raise UploadError(f"unsupported type {suffix or '(none)'}: upload .txt, .md, .pdf, .docx or .html")
    size = path.stat().st_size
    if size == 0:
        raise UploadError("empty file: nothing to add")
    if size > max_mb * 1024 * 1024:
        raise UploadError(f"file is {size / 1e6:.1f} MB, over the {max_mb:g} MB upload limit: split it first")
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if kind == "pdf" and b"%PDF-" not in head[:1024]:
        raise UploadError("not a PDF: the content does not start with %PDF- (a renamed file?)")
    if kind == "docx":
        _check_docx(path)
    if kind in TEXT_FORMATS:
        _check_text(path, kind)
    return kind


def _check_docx(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError("not a Word document: a .docx is a zip archive and this is not one") from exc
    if "word/document.xml" not in names:
        raise UploadError("not a Word document: the zip holds no word/document.xml (save it as .docx from Word)")


def _check_text(path: Path, kind: str) -> None:
    data = path.read_bytes()
    if b"\x00" in data:
        raise UploadError("not a text file: it contains NUL bytes (binary content renamed to text?)")
    try:
        decode_text(data)  # the decoding a sync uses
    except IngestError as exc:
        raise UploadError(f"not a text file: {exc}") from None
    if kind == "html" and not _MARKUP.search(data[:65536]):
        raise UploadError("not HTML: no markup found (save plain text as .txt)")


def check_upload(path: Path, name: str, settings: Settings) -> str:
    """Validate one file for adding under ``name`` (already made safe); return its title.

    The content is sniffed and then loaded and cleaned exactly as a sync would, so a file that
    would fail to index is refused before it is copied.

    Raises
    ------
    UploadError
        With the reason, e.g. ``not a PDF`` or ``PDF has no text layer``.
    """
    sniff(path, Path(name).suffix, settings.max_upload_mb)
    limit = max(settings.max_upload_mb, settings.max_file_mb)
    try:
        if path.suffix.lower() == Path(name).suffix:
            return load_document(path, name, max_mb=limit).title
        with tempfile.TemporaryDirectory() as tmp:  # loaders pick the format by suffix
            staged = Path(tmp) / name
            shutil.copyfile(path, staged)
            return load_document(staged, name, max_mb=limit).title
    except IngestError as exc:
        raise UploadError(str(exc)) from exc
