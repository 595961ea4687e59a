"""Builders for test documents in every supported format (made by the tests, not committed)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def make_pdf(path: Path, pages: list[str], title: str = "Laporan Uji") -> Path:
    """A real PDF with a text layer, one string per page (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(title)
    pdf.setAuthor("Penulis Uji")
    for text in pages:
        y = 800
        for line in textwrap.wrap(text, 80):
            pdf.drawString(50, y, line)
            y -= 14
        pdf.showPage()
    pdf.save()
    return path


def make_image_only_pdf(path: Path) -> Path:
    """A PDF whose page has only drawings: no text layer."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 300, 300, fill=1)
    pdf.showPage()
    pdf.save()
    return path


def make_encrypted_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt("rahasia", algorithm="RC4-128")
    writer.write(str(path))
    return path


def make_docx(path: Path, title: str, heading: str, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = "Penulis Uji"
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path
