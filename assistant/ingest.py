"""Loading readings from disk into clean :class:`~assistant.types.Document` objects.

Supported: ``.txt``, ``.md`` (YAML front matter), ``.pdf`` (page numbers), ``.docx`` and
``.html`` (main text). Every loader produces a list of blocks (paragraphs, headings, page
starts); :func:`assemble` cleans them and joins them into one text with markers, so that all
formats share one cleaning path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ftfy
import yaml

from assistant.types import Document, Marker

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm")
SKIPPED_NAMES = {"readme.md", "readme.txt", "license", "license.md"}


class IngestError(Exception):
    """A file that cannot be indexed; the message says why and what to do."""


@dataclass
class Block:
    """A unit of a loaded file before cleaning: a paragraph, a heading, or a page start."""

    text: str
    kind: str = "para"  # para | heading
    page: int | None = None


# ---------------------------------------------------------------- cleaning

_STRAY_A = re.compile("\u00c2(?=[\\s\u00a0]|$)")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")
_TERMINAL = tuple('.!?…:;"\'”’)]')


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


# ---------------------------------------------------------------- decoding and front matter


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8, else by charset detection; refuse binary content."""
    if not data.strip():
        raise IngestError("empty file: add some text or remove it")
    if b"\x00" in data[:8192]:
        raise IngestError("binary file, not text: save it as UTF-8 text, PDF or DOCX")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError("binary or unknown encoding: save the file as UTF-8 text")
    return str(best)


_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (metadata, body) for text that may open with a YAML front-matter block."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise IngestError(f"front matter is not valid YAML ({exc.__class__.__name__}): fix it") from exc
    if not isinstance(meta, dict):
        raise IngestError("front matter must be a YAML mapping (key: value lines)")
    return meta, text[match.end():]


# ---------------------------------------------------------------- loaders per format

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def _strip_markdown(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return text


def load_markdown(raw: str) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a Markdown (or plain text) body; headings become section markers."""
    meta, body = split_front_matter(raw)
    blocks: list[Block] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            blocks.extend(Block(p) for p in split_paragraphs(_strip_markdown("\n".join(pending))))
            pending.clear()

    for line in body.replace("\r\n", "\n").split("\n"):
        heading = _MD_HEADING.match(line)
        if heading:
            flush()
            blocks.append(Block(_strip_markdown(heading.group(2)), "heading"))
        elif _MD_ITEM.match(line):
            flush()
            pending.append(_MD_ITEM.sub("", line))
            flush()
        else:
            pending.append(line)
    flush()
    return blocks, meta


def load_text(raw: str) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a plain-text file (front matter allowed)."""
    meta, body = split_front_matter(raw)
    return [Block(p) for p in split_paragraphs(body)], meta


def load_pdf(path: Path) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a PDF's text layer, each tagged with its 1-based page number."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("encrypted PDF: remove the password, then add it again")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, TypeError) as exc:
        raise IngestError(f"corrupt or unreadable PDF ({exc}): re-export it and add it again") from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise IngestError("encrypted PDF: remove the password, then add it again") from exc
        raise IngestError(f"corrupt or unreadable PDF ({exc}): re-export it and add it again") from exc
    if not any(p.strip() for p in pages):
        raise IngestError("PDF has no text layer (scanned images?): run OCR, e.g. ocrmypdf, first")
    blocks = [Block(p, page=i) for i, text in enumerate(pages, 1) for p in split_paragraphs(text)]
    info = reader.metadata or {}
    meta = {"title": _clean_meta(info.get("/Title")), "author": _clean_meta(info.get("/Author"))}
    year = re.search(r"(19|20)\d\d", str(info.get("/CreationDate") or ""))
    if year:
        meta["year"] = int(year.group(0))
    return blocks, {k: v for k, v in meta.items() if v}


def _clean_meta(value: Any) -> str | None:
    text = clean_inline(str(value)) if value else ""
    return text or None


def load_docx(path: Path) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a Word document; paragraphs styled as headings become section markers."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise IngestError(f"corrupt or unreadable DOCX ({exc}): re-save it from Word") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise IngestError(f"corrupt or unreadable DOCX ({exc}): re-save it from Word") from exc
    blocks = []
    for para in document.paragraphs:
        style = (para.style.name or "").lower() if para.style is not None else ""
        kind = "heading" if style.startswith("heading") or style == "title" else "para"
        if para.text.strip():
            blocks.append(Block(para.text, kind))
    props = document.core_properties
    meta = {"title": _clean_meta(props.title), "author": _clean_meta(props.author)}
    if props.created:
        meta["year"] = props.created.year
    if props.language:
        meta["language"] = props.language.split("-")[0].lower()
    return blocks, {k: v for k, v in meta.items() if v}


_HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template")
_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "td", "dd", "dt")


def load_html(raw: str) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of an HTML page's main text (``<main>``/``<article>`` when present)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    meta: dict[str, Any] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(" ", strip=True)
    author = soup.find("meta", attrs={"name": "author"})
    if author and author.get("content"):
        meta["author"] = author["content"]
    html_tag = soup.find("html")
    if html_tag and html_tag.get("lang"):
        meta["language"] = str(html_tag["lang"]).split("-")[0].lower()
    for tag in soup(_HTML_DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = []
    for tag in root.find_all(_HTML_BLOCKS):
        if tag.find(_HTML_BLOCKS):
            continue  # the inner blocks carry the text
        kind = "heading" if tag.name.startswith("h") and len(tag.name) == 2 else "para"
        text = tag.get_text(" ", strip=True)
        if text:
            blocks.append(Block(text, kind))
    if not blocks:
        text = root.get_text("\n", strip=True)
        blocks = [Block(p) for p in split_paragraphs(text)]
    return blocks, meta


# ---------------------------------------------------------------- entry point


def load_document(path: Path, source: str | None = None, max_mb: float = 25.0) -> Document:
    """Load and clean one file.

    Parameters
    ----------
    path : Path
        The file to read.
    source : str, optional
        Its name relative to the collection folder (defaults to the file name).
    max_mb : float
        Files larger than this are refused.

    Raises
    ------
    IngestError
        When the file cannot be indexed; the message says why and what to do.
    """
    source = source or path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported format {suffix or '(none)'}: use {', '.join(SUPPORTED_SUFFIXES)}")
    size = path.stat().st_size
    if size == 0:
        raise IngestError("empty file: add some text or remove it")
    if size > max_mb * 1024 * 1024:
        raise IngestError(f"file is {size / 1e6:.1f} MB, over the {max_mb:g} MB limit: split it or raise max_file_mb")
    if suffix == ".pdf":
        blocks, meta = load_pdf(path)
    elif suffix == ".docx":
        blocks, meta = load_docx(path)
    else:
        raw = decode_text(path.read_bytes())
        if suffix in (".html", ".htm"):
            blocks, meta = load_html(raw)
        elif suffix in (".md", ".markdown"):
            blocks, meta = load_markdown(raw)
        else:
            blocks, meta = load_text(raw)
    document = assemble(source, blocks, meta)
    document.metadata.setdefault("kind", "reading")
    if not document.metadata.get("language"):
        from assistant.language import detect_language

        document.metadata["language"] = detect_language(document.text[:2000])
    return document
