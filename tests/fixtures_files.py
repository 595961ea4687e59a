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


def make_docx_with_big_member(path: Path, megabytes: int) -> Path:
    """A real .docx plus a member of ``megabytes`` MB of zeros: a few hundred KB on disk (a zip bomb)."""
    import zipfile

    make_docx(path, "Bom", "Bom", ["Satu paragraf biasa."])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/media/image1.bin", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                member.write(block)
    return path


def make_docx_understating(path: Path, member: str, megabytes: int, declared: int = 1000) -> Path:
    """A real .docx whose ``member`` (the body, or an added one) unpacks to ``megabytes`` MB while its zip
    headers, local and central, declare only ``declared`` bytes: a bomb that lies about its size."""
    import struct
    import zipfile

    make_docx(path, "Bohong", "Bohong", ["Satu paragraf biasa."])
    with zipfile.ZipFile(path) as original:
        members = {info.filename: original.read(info) for info in original.infolist()}
    big = members.get(member, b"")
    if member == "word/document.xml":  # the body, padded with spaces after the document: still well-formed XML
        big += b" " * (megabytes << 20)
    else:
        big = b"\0" * (megabytes << 20)
    members[member] = big
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(member).header_offset
    struct.pack_into("<I", data, local + 22, declared)  # the local header's uncompressed size
    name = member.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:  # the central directory entry of the member
        if data[at + 46 : at + 46 + len(name)] == name:
            struct.pack_into("<I", data, at + 24, declared)
            break
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


def make_docx_with_empty_paragraphs(path: Path, count: int) -> Path:
    """A real .docx whose body is ``count`` empty paragraphs (3 million: about 330 KB on disk)."""
    import zipfile

    source = make_docx(path.with_suffix(".base.docx"), "Kosong", "Kosong", ["isi"])
    with zipfile.ZipFile(source) as original:
        members = {info.filename: original.read(info) for info in original.infolist()}
    source.unlink()
    body = members["word/document.xml"].decode("utf-8")
    start, end = body.index("<w:body>") + len("<w:body>"), body.index("</w:body>")
    members["word/document.xml"] = (body[:start] + "<w:p/>" * count + body[end:]).encode("utf-8")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def make_office_encrypted(path: Path) -> Path:
    """What Word writes for a password-protected .docx: an OLE compound file, not a zip."""
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504 + bytes(range(256)) * 16)
    return path
