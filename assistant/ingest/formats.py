"""The reading formats, one table for indexing and uploads: each file suffix and the format it is
read as, and the file names a sync skips."""

from __future__ import annotations

FORMATS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
}
SUPPORTED_SUFFIXES = tuple(FORMATS)
TEXT_FORMATS = frozenset(
    {"text", "markdown", "html"}
)  # decoded from bytes (:func:`~assistant.ingest.cleaning.decode_text`)
SKIPPED_NAMES = {"readme.md", "readme.txt", "license", "license.md"}


def format_of(suffix: str) -> str | None:
    """The format a file with ``suffix`` is read as (``text``, ``markdown``, ``pdf``, ``docx``,
    ``html``), or None when it is not a reading."""
    return FORMATS.get(suffix.lower())
