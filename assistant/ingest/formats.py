"""The reading formats: file suffixes the indexer reads, and names it skips."""

from __future__ import annotations

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")
SKIPPED_NAMES = {"readme.md", "readme.txt", "license", "license.md"}
