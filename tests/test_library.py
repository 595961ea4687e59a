"""Library: adding and removing readings, upload checks, duplicates, collections, failures, locking."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import pytest

from assistant.errors import LibraryError, StoreError, UploadError
from assistant.index.chroma import chroma_client
from assistant.index.progress import SyncProgress
from assistant.index.snapshots import CollectionPaths
from assistant.index.sync import sync_collection
from assistant.ingest.uploads import check_upload, safe_name
from assistant.library.collections import collections_overview, remove_collection
from assistant.library.documents import add_documents, list_documents, remove_documents
from assistant.retrieval.retriever import open_retriever
from tests.fixtures_files import make_docx, make_image_only_pdf, make_pdf

VOLCANO = (
    "---\ntitle: Gunung Api Jawa\nauthor: Dosen Tamu\nyear: 2023\nkind: handout\n---\n"
    "# Merapi\n\nGunung Merapi meletus besar pada tahun 2010 dan memaksa ratusan ribu warga mengungsi "
    "dari lereng gunung di Sleman.\n"
)
HARBOUR = (
    "# Pelabuhan\n\nPelabuhan Tanjung Priok di Jakarta adalah pelabuhan peti kemas tersibuk di "
    "Indonesia dan melayani perdagangan luar negeri.\n"
)


def _ids(settings, name):
    snapshot = CollectionPaths(settings, name).current_snapshot()
    collection = chroma_client(settings).get_collection(snapshot.manifest["chroma_collection"])
    return set(collection.get(include=[])["ids"]), {c.id for c in snapshot.chunks}


def test_added_reading_is_cited_and_forgotten_after_removal(make_settings, write):
    from assistant.service import Assistant

    settings = make_settings()
    report = add_documents(settings, [write("gunung.md", VOLCANO), write("priok.md", HARBOUR)], "minggu")
    assert report.created and [a["stored"] for a in report.added] == ["gunung.md", "priok.md"]
    assert Path(report.folder) == (settings.data_dir / "library" / "minggu").resolve()
    assistant = Assistant(settings)
    answer = assistant.ask("Kapan Gunung Merapi meletus besar?", collection="minggu")
    assert not answer.abstained and "2010" in answer.text
    cited = answer.citations[0]
    assert (cited.source, cited.title) == ("gunung.md", "Gunung Api Jawa")
    assert cited.quote in cited.text and "Merapi" in cited.location

    removed = remove_documents(settings, ["Gunung Api Jawa"], "minggu")  # by title
    assert removed.removed == ["gunung.md"] and not (Path(report.folder) / "gunung.md").exists()
    retriever = open_retriever(settings, "minggu")
    for mode in ("dense", "bm25", "hybrid"):
        assert {p.chunk.source for p in retriever.search("Merapi meletus 2010 mengungsi", 5, mode)} <= {"priok.md"}
    again = assistant.ask("Kapan Gunung Merapi meletus besar?", collection="minggu")
    assert all(c.source != "gunung.md" for c in again.citations) and "2010" not in again.text
    in_chroma, in_snapshot = _ids(settings, "minggu")
    assert in_chroma == in_snapshot and len(in_snapshot) == 1


def test_library_rows_show_metadata_pages_and_sections(make_settings, write, tmp_path):
    settings = make_settings()
    filler = " ".join(f"Kalimat pengisi nomor {n} tentang kerja sama regional." for n in range(12))
    pdf = make_pdf(
        tmp_path / "laporan.pdf",
        [
            f"Halaman pertama tentang norma siber ASEAN. {filler}",
            f"Halaman kedua tentang pusat pelatihan di Bangkok. {filler}",
        ],
    )
    docx = make_docx(tmp_path / "esai.docx", "Esai Kapasitas", "Pendahuluan", ["BSSN membangun kapasitas siber."])
    html = write(
        "web.html",
        "<html lang='en'><head><title>Norms Page</title><meta name='author' content='UN'>"
        "</head><body><h2>Eleven norms</h2><p>States agreed on eleven norms.</p></body></html>",
    )
    add_documents(settings, [pdf, docx, html, write("gunung.md", VOLCANO)], "bacaan")
    rows = {r["file"]: r for r in list_documents(settings, "bacaan")}
    assert (rows["laporan.pdf"]["title"], rows["laporan.pdf"]["author"]) == ("Laporan Uji", "Penulis Uji")
    assert rows["esai.docx"]["title"] == "Esai Kapasitas" and rows["web.html"]["language"] == "en"
    assert (rows["gunung.md"]["year"], rows["gunung.md"]["kind"], rows["gunung.md"]["language"]) == (
        2023,
        "handout",
        "id",
    )
    assert all(r["status"] == "indexed" and r["chunks"] >= 1 and r["indexed_at"] for r in rows.values())
    retriever = open_retriever(settings, "bacaan")
    page = retriever.search("pusat pelatihan di Bangkok", 1)[0].chunk
    assert page.source == "laporan.pdf" and page.location.startswith("p. 2")
    assert retriever.search("eleven norms agreed", 1)[0].chunk.metadata["section"] == "Eleven norms"


def _fake_docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not word")
    return path


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("laporan.pdf", b"This is plain text renamed to PDF.", "not a PDF"),
        ("esai.docx", b"plain text, not a zip", "not a Word document: a .docx is a zip"),
        ("zip.docx", None, "no word/document.xml"),
        ("data.txt", b"abc\x00\x01\x02binary", "NUL bytes"),
        ("page.html", b"just words, no tags at all", "not HTML"),
        ("program.exe", b"MZ\x90\x00", "unsupported type .exe"),
        ("kosong.md", b"", "empty file"),
        ("gambar.pdf", None, "no text layer"),
    ],
)
def test_refused_uploads_say_why(make_settings, write, tmp_path, name, content, reason):
    settings = make_settings()
    if content is None:
        path = _fake_docx(tmp_path / name) if name.endswith(".docx") else make_image_only_pdf(tmp_path / name)
    else:
        path = write(name, content)
    with pytest.raises(UploadError, match=reason):
        check_upload(path, safe_name(name), settings)
    report = add_documents(settings, [path], "uji")
    assert [r["file"] for r in report.refused] == [name] and reason in report.refused[0]["error"]
    assert report.sync is None and not (settings.data_dir / "library" / "uji").exists()
    assert not CollectionPaths(settings, "uji").exists()


def test_upload_size_limit(make_settings, write):
    settings = make_settings(max_upload_mb=0.001)
    report = add_documents(settings, [write("besar.txt", "kata " * 400)], "uji")
    assert "over the 0.001 MB upload limit" in report.refused[0]["error"]


@pytest.mark.parametrize(
    "raw",
    [
        "../../etc/passwd.txt",
        "a/b\\..\\c.md",
        "x\x00y\n\x1b.txt",
        ".hidden.md",
        "README.md",
        "....md",
        "..",
        "/",
        "C:\\Users\\x\\tugas akhir (v2).PDF",
    ],
)
def test_names_cannot_escape_the_folder(raw, tmp_path):
    name = safe_name(raw)
    assert name and "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith(".") and name.lower() != "readme.md"
    assert all(ord(ch) >= 32 for ch in name)
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()


def test_tricky_upload_name_is_stored_inside_the_folder(make_settings, write):
    settings = make_settings()
    path = write("catatan.md", HARBOUR)
    report = add_documents(settings, [path], "uji", labels=["../../../luar\x07.md"])
    assert report.added[0]["stored"] == "luar.md"
    assert (settings.data_dir / "library" / "uji" / "luar.md").is_file()
    assert not (settings.data_dir.parent / "luar.md").exists()


def test_duplicate_content_is_reported_not_indexed_twice(make_settings, write):
    settings = make_settings()
    add_documents(settings, [write("gunung.md", VOLCANO)], "uji")
    chunks = CollectionPaths(settings, "uji").current_snapshot().chunks
    copy = write("salinan/lain.md", VOLCANO)
    report = add_documents(settings, [copy, write("dua-kali.md", HARBOUR), write("dua-kali-lagi.md", HARBOUR)], "uji")
    assert report.duplicates == [
        {"file": "lain.md", "existing": "gunung.md"},
        {"file": "dua-kali-lagi.md", "existing": "dua-kali.md"},
    ]
    assert [a["stored"] for a in report.added] == ["dua-kali.md"]
    assert len(CollectionPaths(settings, "uji").current_snapshot().chunks) == len(chunks) + 1
    # same name, different content: stored beside the first, not over it
    renamed = add_documents(settings, [write("x/gunung.md", HARBOUR.replace("Priok", "Perak"))], "uji")
    assert renamed.added[0]["stored"] == "gunung-2.md"


def test_folders_never_nest_in_either_direction(make_settings, write, tmp_path):
    settings = make_settings()
    outer = tmp_path / "kuliah"
    add_documents(settings, [write("gunung.md", VOLCANO)], "kuliah", folder=outer)
    with pytest.raises(StoreError, match="lies inside collection 'kuliah'"):
        add_documents(settings, [write("priok.md", HARBOUR)], "bagian", folder=outer / "minggu1")
    with pytest.raises(StoreError, match="contains collection 'kuliah'"):
        sync_collection(settings, "semua", tmp_path)
    with pytest.raises(StoreError, match="already belongs to collection 'kuliah'"):
        sync_collection(settings, "kembar", outer)
    with pytest.raises(LibraryError, match="already uses folder"):
        add_documents(settings, [write("priok.md", HARBOUR)], "kuliah", folder=tmp_path / "lain")
    assert [r["name"] for r in collections_overview(settings)] == ["knowledge", "kuliah"]


def test_remove_collection_deletes_only_managed_files(make_settings, write, tmp_path):
    settings = make_settings()
    own = tmp_path / "punya-saya"
    own.mkdir()
    (own / "gunung.md").write_text(VOLCANO, encoding="utf-8")
    sync_collection(settings, "saya", own)
    add_documents(settings, [write("priok.md", HARBOUR)], "terkelola")
    managed = settings.data_dir / "library" / "terkelola"
    names = {c.name for c in chroma_client(settings).list_collections()}
    assert len(names) == 2
    mine = remove_collection(settings, "saya")
    assert not mine["files_removed"] and (own / "gunung.md").is_file()
    ours = remove_collection(settings, "terkelola")
    assert ours["files_removed"] and not managed.exists()
    assert not chroma_client(settings).list_collections()
    assert [r["name"] for r in collections_overview(settings)] == ["knowledge"]
    with pytest.raises(LibraryError, match="no collection named"):
        remove_collection(settings, "saya")


def test_failed_sync_after_copy_leaves_folder_and_index_as_before(make_settings, write, monkeypatch):
    settings = make_settings()
    add_documents(settings, [write("gunung.md", VOLCANO)], "uji")
    folder = settings.data_dir / "library" / "uji"

    def crash(self, snapshot):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CollectionPaths, "publish", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        add_documents(settings, [write("priok.md", HARBOUR)], "uji")
    assert sorted(p.name for p in folder.iterdir()) == ["gunung.md"]
    with pytest.raises(RuntimeError, match="disk full"):
        remove_documents(settings, ["gunung.md"], "uji")
    assert sorted(p.name for p in folder.iterdir()) == ["gunung.md"]
    monkeypatch.undo()
    assert [p.chunk.source for p in open_retriever(settings, "uji").search("Merapi meletus", 3)] == ["gunung.md"]
    assert list_documents(settings, "uji")[0]["status"] == "indexed"


class _Messages(SyncProgress):
    def __init__(self):
        self.messages = []
        self.waiting = threading.Event()

    def message(self, text):
        self.messages.append(text)
        if text.startswith("waiting: "):
            self.waiting.set()


def test_two_adds_at_once_both_land(make_settings, write):
    from filelock import FileLock

    settings = make_settings()
    add_documents(settings, [write("awal.md", HARBOUR)], "uji")
    results, errors, progress = [], [], [_Messages(), _Messages()]
    holder = FileLock(str(CollectionPaths(settings, "uji").lock))
    holder.acquire()  # a third writer holds the lock while both adds start

    def run(name, text, n):
        try:
            results.append(add_documents(make_settings(), [write(name, text)], "uji", progress=progress[n]))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("gunung.md", VOLCANO, 0)),
        threading.Thread(target=run, args=("lain.md", VOLCANO.replace("2010", "2006"), 1)),
    ]
    for thread in threads:
        thread.start()
    for p in progress:  # both say they wait for the lock
        assert p.waiting.wait(120), p.messages
    assert not results
    holder.release()
    for thread in threads:
        thread.join(120)
    assert not errors and len(results) == 2
    assert {r["file"] for r in list_documents(settings, "uji")} == {"awal.md", "gunung.md", "lain.md"}
    in_chroma, in_snapshot = _ids(settings, "uji")
    assert in_chroma == in_snapshot
    assert all(any(m.startswith("waiting: ") for m in p.messages) for p in progress)
