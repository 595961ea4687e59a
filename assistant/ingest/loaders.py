"""Loading readings from disk into clean :class:`~assistant.types.Document` objects.

Supported: ``.txt``, ``.md`` (YAML front matter), ``.pdf`` (page numbers), ``.docx`` and
``.html`` (main text). Every loader produces a list of blocks (paragraphs, headings, page
starts); :func:`~assistant.ingest.cleaning.assemble` cleans them and joins them into one text
with markers, so that all formats share one cleaning path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from assistant.ingest.checks import Limits, check_content, check_docx, check_inside, check_passages
from assistant.ingest.cleaning import (
    Block,
    assemble,
    clean_inline,
    decode_text,
    markdown_blocks,
    split_front_matter,
    split_paragraphs,
)
from assistant.ingest.formats import SUPPORTED_SUFFIXES, format_of
from assistant.ingest.library_logs import library_messages
from assistant.text.language import detect_language
from assistant.types import Document


def load_markdown(raw: str) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a Markdown body (:func:`~assistant.ingest.cleaning.markdown_blocks`); headings become section markers."""
    meta, body = split_front_matter(raw)
    return markdown_blocks(body), meta


def load_text(raw: str) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a plain-text file (front matter allowed)."""
    meta, body = split_front_matter(raw)
    return [Block(p) for p in split_paragraphs(body)], meta


def load_pdf(path: Path, source: str | None = None, max_pages: int = 1000) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a PDF's text layer, each tagged with its 1-based page number (the parser's notes
    on a damaged file are logged under ``source``, not printed); more than ``max_pages`` pages
    are refused before any text is extracted."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        with library_messages(source or path.name):  # pypdf's notes on damaged files go to the log, not the console
            reader = PdfReader(str(path))
            if reader.is_encrypted and not reader.decrypt(""):
                raise IngestError("encrypted PDF: remove the password, then add it again")
            if len(reader.pages) > max_pages:
                raise IngestError(
                    f"PDF has {len(reader.pages):,} pages, over the limit of {max_pages:,}: "
                    "split it, or raise ASSISTANT_MAX_PDF_PAGES"
                )
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
    info: Any = reader.metadata or {}
    meta: dict[str, Any] = {"title": _clean_meta(info.get("/Title")), "author": _clean_meta(info.get("/Author"))}
    year = re.search(r"(19|20)\d\d", str(info.get("/CreationDate") or ""))
    if year:
        meta["year"] = int(year.group(0))
    return blocks, {k: v for k, v in meta.items() if v}


def _clean_meta(value: Any) -> str | None:
    text = clean_inline(str(value)) if value else ""
    return text or None


def load_docx(path: Path, limits: Limits | None = None) -> tuple[list[Block], dict[str, Any]]:
    """Blocks of a Word document; paragraphs styled as headings become section markers. The zip is
    checked first (:func:`~assistant.ingest.checks.check_docx`: no zip bombs, bounded work)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_docx(path, limits or Limits())
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


def load_reading(settings, path: Path, source: str) -> Document:
    """Load a reading as a sync does: ``path`` is the collection folder joined with ``source`` (its
    relative path); the limits come from ``settings`` and no link is followed out of the folder."""
    root = path.parents[len(Path(source).parts) - 1]
    return load_document(path, source, limits=Limits.from_settings(settings), root=root)


def load_document(
    path: Path,
    source: str | None = None,
    max_mb: float = 25.0,
    *,
    limits: Limits | None = None,
    root: Path | None = None,
) -> Document:
    """Load and clean one file.

    Parameters
    ----------
    path : Path
        The file to read.
    source : str, optional
        Its name relative to the collection folder (defaults to the file name).
    max_mb : float
        Files larger than this are refused (when ``limits`` is not given).
    limits : Limits, optional
        Size, PDF pages, unpacked DOCX size and passages per file (default: ``Limits(max_mb)``).
    root : Path, optional
        The reading folder: a file that is a link leading out of it is refused.

    Raises
    ------
    IngestError
        When the file cannot be indexed; the message says why and what to do.
    """
    source = source or path.name
    limits = limits or Limits(max_mb=max_mb)
    suffix = path.suffix.lower()
    kind = format_of(suffix)
    if kind is None:
        raise IngestError(f"unsupported format {suffix or '(none)'}: use {', '.join(SUPPORTED_SUFFIXES)}")
    if root is not None:
        check_inside(path, root)
    size = path.stat().st_size
    if size == 0:
        raise IngestError("empty file: add some text or remove it")
    if size > limits.max_mb * 1024 * 1024:
        raise IngestError(
            f"file is {size / 1e6:.1f} MB, over the {limits.max_mb:g} MB limit: split it or raise max_file_mb"
        )
    check_content(path, kind)
    if kind == "pdf":
        blocks, meta = load_pdf(path, source, limits.max_pdf_pages)
    elif kind == "docx":
        blocks, meta = load_docx(path, limits)
    else:
        raw = decode_text(path.read_bytes())
        if kind != "html":  # a huge plain or Markdown text is refused before it is parsed and cleaned
            check_passages(raw, limits, slack=2.0)
        loader = {"html": load_html, "markdown": load_markdown}.get(kind, load_text)
        blocks, meta = loader(raw)
    document = assemble(source, blocks, meta)
    check_passages(document.text, limits)
    document.metadata.setdefault("kind", "reading")
    if not document.metadata.get("language"):
        document.metadata["language"] = detect_language(document.text[:2000])
    return document
