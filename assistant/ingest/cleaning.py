"""Cleaning shared by every format: blocks of a loaded file are cleaned (ftfy, stray mojibake,
spaces) and joined into one text with page and section markers; bytes are decoded; YAML front
matter is split off (``python-frontmatter``); Markdown is read into blocks (``markdown-it-py``)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ftfy
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.errors import IngestError
from assistant.types import Document, Marker


@dataclass
class Block:
    """A unit of a loaded file before cleaning: a paragraph, a heading, or a page start."""

    text: str
    kind: str = "para"  # para | heading
    page: int | None = None


_STRAY_A = re.compile("\u00c2(?=[\\s\u00a0]|$)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_TERMINAL = tuple(".!?…:;\"'”’)]")


def clean_inline(text: str) -> str:
    """Fix encoding damage and normalise spaces inside one block (no newlines survive)."""
    text = ftfy.fix_text(text)
    text = _STRAY_A.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


def split_paragraphs(raw: str) -> list[str]:
    """Split raw text into paragraphs.

    Blank lines always separate paragraphs. Inside a block, a line break also ends a
    paragraph when the line ends a sentence or is much shorter than the block's longest line
    (a heading); otherwise it is a hard wrap and the lines are joined.
    """
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    raw = _STRAY_A.sub(" ", raw)
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", raw):
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        longest = max(len(ln) for ln in lines)
        current: list[str] = []
        for line in lines:
            current.append(line)
            if line.endswith(_TERMINAL) or len(line) < 0.6 * longest:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
    return paragraphs


def assemble(source: str, blocks: list[Block], metadata: dict[str, Any]) -> Document:
    """Clean blocks and join them (blank line between) into a :class:`Document`."""
    parts: list[str] = []
    pages: list[Marker] = []
    sections: list[Marker] = []
    offset = 0
    last_page = None
    for block in blocks:
        text = clean_inline(block.text)
        if not text:
            continue
        if parts:
            offset += 2
        if block.page is not None and block.page != last_page:
            pages.append(Marker(offset, str(block.page)))
            last_page = block.page
        if block.kind == "heading":
            sections.append(Marker(offset, text))
        parts.append(text)
        offset += len(text)
    body = "\n\n".join(parts)
    if not body.strip():
        raise IngestError("no text found: the file is empty or holds only markup/whitespace")
    meta = dict(metadata)
    if not meta.get("title"):
        meta["title"] = sections[0].label if sections else Path(source).stem.replace("-", " ")
    return Document(source=source, text=body, metadata=meta, pages=pages, sections=sections)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Among encodings that read the bytes equally well, the Western ones first: charset detection ties
# cp1252 with cp1250 and others for most Latin-1 text, and picking cp1250 turns naïve into naďve.
_PREFERRED = ("cp1252", "latin_1", "iso8859_15")


def decode_text(data: bytes) -> str:
    """Decode bytes: UTF-16/32 with a byte-order mark, UTF-8, else by charset detection (Western
    encodings first among equally good ones); refuse binary content."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(f"broken {codec.upper()} text ({exc.reason}): save the file as UTF-8 text") from exc
            if not text.lstrip("\ufeff").strip():
                raise IngestError("empty file: add some text or remove it")
            return text.lstrip("\ufeff")
    if not data.strip():
        raise IngestError("empty file: add some text or remove it")
    if b"\x00" in data[:8192]:
        raise IngestError("binary file, not text: save it as UTF-8 text, PDF or DOCX")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:  # a file cut mid-character
            return data[: exc.start].decode("utf-8-sig")
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise IngestError("binary or unknown encoding: save the file as UTF-8 text")
    tied = {m.encoding: m for m in matches if m.chaos <= best.chaos and m.coherence >= best.coherence}
    return str(next((tied[name] for name in _PREFERRED if name in tied), best))


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (metadata, body) for text that may open with a YAML front-matter block
    (``python-frontmatter``'s YAML handler: ``---`` lines around it, read with ``yaml.SafeLoader``)."""
    from frontmatter.default_handlers import YAMLHandler

    handler = YAMLHandler()
    if not handler.detect(text):
        return {}, text
    try:
        front, body = handler.split(text)
    except ValueError:  # no closing ``---``: not front matter
        return {}, text
    try:
        meta = handler.load(front) or {}
    except yaml.YAMLError as exc:
        raise IngestError(f"front matter is not valid YAML ({exc.__class__.__name__}): fix it") from exc
    if not isinstance(meta, dict):
        raise IngestError("front matter must be a YAML mapping (key: value lines)")
    return meta, body.lstrip("\n")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _inline_text(token: Token) -> str:
    """The plain text of an inline token: emphasis and links dropped, images by their alt text,
    inline HTML left out, line breaks kept as newlines."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def markdown_blocks(body: str) -> list[Block]:
    """Blocks of a Markdown body (``markdown-it-py``, CommonMark with tables): headings become
    section markers; a paragraph, list item or code block is split as plain text is
    (:func:`split_paragraphs`); a table row is one paragraph, its cells joined by " | ";
    HTML blocks are left out."""
    blocks: list[Block] = []
    tokens = _markdown().parse(body)
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(Block(" | ".join(cell for cell in row if cell)))
            row = None
        elif token.type == "inline" and row is not None:
            row.append(_inline_text(token).strip())
        elif token.type == "inline" and tokens[i - 1].type == "heading_open":
            blocks.append(Block(_inline_text(token), "heading"))
        elif token.type == "inline":
            blocks.extend(Block(p) for p in split_paragraphs(_inline_text(token)))
        elif token.type in ("fence", "code_block"):
            blocks.extend(Block(p) for p in split_paragraphs(token.content))
    return blocks
