"""Upload checks: a file is checked by content (``puremagic``'s signatures, the zip layout, text
decoding) against its type, given a safe name (``pathvalidate``, shortened by bytes), and loaded
once exactly as a sync would before it is copied."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from pathvalidate import sanitize_filename

from assistant.config import Settings
from assistant.errors import IngestError, UploadError
from assistant.ingest.checks import Limits, check_content
from assistant.ingest.cleaning import decode_text
from assistant.ingest.formats import SKIPPED_NAMES, TEXT_FORMATS, format_of
from assistant.ingest.loaders import load_document

_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|title|p|div|h[1-6]|article|main|section|br|ul|li|table)\b", re.I
)
# Bytes of a stored name: the copy is first written as ".<name>.<32 hex>.part" (39 bytes more), and
# most file systems allow 255 bytes per name.
MAX_NAME_BYTES = 180


def safe_name(name: str) -> str:
    """A file name that stays inside the collection folder and is not skipped by a sync.

    Directories (``/`` or ``\\``), ``..``, control characters and leading dots are removed;
    characters no file system accepts become ``-`` and reserved names (``CON``, ``NUL``) get a
    ``_`` (``pathvalidate``); the suffix is lower-cased; the name is shortened to
    :data:`MAX_NAME_BYTES` bytes of UTF-8 (120 × "é" is 240 bytes), keeping its suffix.
    """
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    base = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in base)
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())[:10]
    budget = MAX_NAME_BYTES - len(suffix) - 1
    stem = sanitize_filename(stem, replacement_text="-", platform="universal", max_len=budget)
    stem = stem.replace("..", ".").strip(" .-_") or "document"
    result = f"{stem}.{suffix}" if suffix else stem
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
    try:
        check_content(path, kind)  # a renamed file
    except IngestError as exc:
        raise UploadError(str(exc)) from None
    if kind == "docx" and not _is_zip(path):
        raise UploadError("not a Word document: a .docx is a zip archive and this is not one")
    if kind in TEXT_FORMATS:
        _check_text(path, kind)
    return kind


def _is_zip(path: Path) -> bool:
    """True when the file starts as a zip archive does."""
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


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
    limits = Limits.from_settings(settings, max_mb=max(settings.max_upload_mb, settings.max_file_mb))
    try:
        if path.suffix.lower() == Path(name).suffix:
            return load_document(path, name, limits=limits).title
        with tempfile.TemporaryDirectory() as tmp:  # loaders pick the format by suffix
            staged = Path(tmp) / name
            shutil.copyfile(path, staged)
            return load_document(staged, name, limits=limits).title
    except IngestError as exc:
        raise UploadError(str(exc)) from exc
