"""Bad input, tried as a tester would (issue 15, item 3): odd questions in every interface, a
reading whose text looks like Rich markup, odd files of every format, odd file names, links out of
the folder, broken question sets. Each gets a clear message and nothing already indexed is lost.

The real embedder, a real Chroma on disk, the real CLI (typer's runner) and the real web app
(``assistant serve`` in a subprocess, shared with ``tests/test_ui_api.py``).
"""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from assistant.cli.app import app

runner = CliRunner()
MARKUP_READING = """---
title: Catatan Penyunting
language: id
---

# Catatan penyunting

Penyunting menulis bahwa kutipan itu [sic] dibiarkan seperti aslinya, termasuk ejaan lama.

Tanda penutup [/] dan [bold]tebal[/bold] dalam naskah asli juga dibiarkan apa adanya oleh penyunting.
"""
EMOJI_READING = """---
title: Simbol dan Aksara
language: id
---

# Simbol

Lambang 🌏 dipakai untuk kerja sama siber antarnegara di kawasan Asia Tenggara.

Teks Arab السلام عليكم ditulis dari kanan ke kiri dalam naskah perjanjian itu.
"""


def _env(settings, **extra):
    return {
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_CACHE_DIR": str(settings.vector_cache_dir),
        "ASSISTANT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        **extra,
    }


@pytest.fixture(scope="module")
def odd_settings(tmp_path_factory, shared_cache):
    """A small collection whose readings hold markup-like brackets, emoji and Arabic script."""
    from assistant.config import Settings
    from assistant.index.sync import sync_collection

    folder = tmp_path_factory.mktemp("odd-readings")
    (folder / "catatan.md").write_text(MARKUP_READING, encoding="utf-8")
    (folder / "simbol.md").write_text(EMOJI_READING, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("odd-data"), cache_dir=shared_cache, knowledge_dir=folder, reader=False
    )
    report = sync_collection(settings)
    assert not report.failed, report.failed
    return settings


# --- questions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["", "   ", "\t\n ", "\x00\x01\x1b", "\u200b "])
def test_empty_question_is_a_usage_error_in_the_cli(odd_settings, question):
    for command in (["ask", question], ["ask", "--json", question], ["search", question]):
        result = runner.invoke(app, command, env=_env(odd_settings))
        assert result.exit_code == 2, (command, result.output)
        assert "question is empty" in result.output and "type a question" in result.output


def test_question_checks_in_the_core():
    from assistant.answering.questions import MAX_K, QuestionError, check_k, check_question

    question, note = check_question("Apa\x00 itu\x1b[31m diplomasi\u0085siber?\r\n", 1000)
    assert question == "Apa itu[31m diplomasi siber?" and note is None
    assert check_question("مرحبا 🌏 שלום\u200f", 1000) == ("مرحبا 🌏 שלום\u200f", None)  # RTL and emoji kept
    assert check_question("a\ud800b", 10) == ("ab", None)  # a lone surrogate cannot be encoded
    cut, note = check_question("kata " * 100, 50)
    assert len(cut) <= 50 and "50" in note
    with pytest.raises(QuestionError, match="must be text"):
        check_question(["a list"], 100)
    assert check_k(None) is None and check_k(0) is None and check_k(3) == 3 and check_k(5.0) == 5
    for bad in (-5, -1, MAX_K + 1, 2.5, "3", True):
        with pytest.raises(QuestionError, match="k must be"):
            check_k(bad)


@pytest.mark.parametrize(
    "history, match",
    [
        ("not a list", "must be a list"),
        ([["only a question"]], "item 1 must be a \\[question, answer\\] pair"),
        ([["q", "a"], "flat"], "item 2"),
        ([[1, 2]], "must be text"),
        ({"q": "a"}, "must be a list"),
    ],
)
def test_malformed_history_is_named(history, match):
    from assistant.answering.questions import QuestionError, check_history

    with pytest.raises(QuestionError, match=match):
        check_history(history, 100)


def test_history_is_capped_in_turns_and_length():
    from assistant.answering.questions import check_history

    history = [[f"pertanyaan {i} " + "x" * 5000, "jawaban " + "y" * 9000] for i in range(50)]
    pairs = check_history(history, 100)
    assert len(pairs) == 20 and pairs[0][0].startswith("pertanyaan 30")
    assert all(len(q) <= 100 and len(a) <= 400 for q, a in pairs)
    assert check_history([[None, None]], 10) == [("", "")]


def test_service_refuses_bad_k_and_caps_history(odd_settings):
    from assistant.errors import AssistantError
    from assistant.service import Assistant

    assistant = Assistant(odd_settings)
    for k in (-5, 0.5, 51):
        with pytest.raises(AssistantError, match="k must be"):
            assistant.ask("Apa kata penyunting tentang kutipan?", k=k)
    with pytest.raises(AssistantError, match="question is empty"):
        assistant.ask(" \x00 ")
    long_turn = "Apa kata penyunting tentang kutipan? " + "kata " * 4000  # 20,000 characters
    answer = assistant.ask("Mengapa?", history=[(long_turn, "")])
    assert len(answer.query) <= odd_settings.max_question_chars + 20, len(answer.query)


def test_long_question_is_cut_with_a_note_in_the_cli(odd_settings):
    question = "Apa kata penyunting tentang kutipan? " + "kata " * 20000  # 100,000 characters
    result = runner.invoke(app, ["ask", "--json", question], env=_env(odd_settings))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["question"]) <= odd_settings.max_question_chars
    assert "shortened" in data["notes"][0]
    search = runner.invoke(app, ["search", "--json", question], env=_env(odd_settings))
    assert search.exit_code == 0 and len(json.loads(search.stdout)["query"]) <= odd_settings.max_question_chars


@pytest.mark.parametrize(
    "question", ["🌏 Apa arti lambang 🌏 itu? 🤔", "ما هو معنى السلام عليكم في النص؟", "שלום? Apa arti teks Arab itu?"]
)
def test_emoji_and_right_to_left_questions_are_answered(odd_settings, question):
    result = runner.invoke(app, ["ask", "--json", question], env=_env(odd_settings))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["question"] == question and (data["abstained"] or data["citations"])
    plain = runner.invoke(app, ["ask", question], env=_env(odd_settings))
    assert plain.exit_code == 0, plain.output


# --- the terminal prints reading text as it is (defect 7) ------------------------------------------


def test_reading_text_that_looks_like_markup_is_printed_verbatim(odd_settings):
    question = "Apa kata penyunting tentang tanda penutup dalam naskah asli?"
    search = runner.invoke(app, ["search", "-k", "2", question], env=_env(odd_settings, COLUMNS="400"))
    assert search.exit_code == 0, search.output
    assert "[/]" in search.stdout and "[bold]tebal[/bold]" in search.stdout
    ask = runner.invoke(app, ["ask", "Apa kata penyunting tentang kutipan itu?"], env=_env(odd_settings))
    assert ask.exit_code == 0, ask.output
    assert "[sic]" in ask.stdout, ask.stdout
    marks = runner.invoke(app, ["ask", question], env=_env(odd_settings))
    assert marks.exit_code == 0, marks.output
    assert "[/]" in marks.stdout


# --- the web app and the OpenAI-compatible API --------------------------------------------------------


def test_web_api_refuses_bad_questions_history_and_k(web_server, web_client):
    from gradio_client.exceptions import AppError

    logged = len(web_server.output())
    for question in ("", "   ", "\x00\x07"):
        with pytest.raises(AppError, match="question is empty"):
            web_client.predict(question, api_name="/ask")
    with pytest.raises(AppError, match="k must be between 1 and 50"):
        web_client.predict("Apa itu diplomasi siber?", "", "", -5, api_name="/ask")
    for history, match in ((["not a pair"], "history item 1"), ([[1, 2, 3]], "history item 1"), ("x", "list")):
        with pytest.raises(AppError, match=match):
            web_client.predict("Mengapa?", history, api_name="/chat")
    assert "Traceback" not in web_server.output()[logged:]


def test_web_api_caps_a_long_history_turn(web_client, indexed_settings):
    long_turn = "Apa itu diplomasi siber? " + "kata " * 4000
    result = web_client.predict("Mengapa?", [[long_turn, ""]], api_name="/chat")
    assert len(result["query"]) <= indexed_settings.max_question_chars + 20


def test_openai_api_refuses_an_empty_question_and_caps_history(web_server, indexed_settings):
    url = web_server.url + "v1/chat/completions"
    for content in (" ", "\x00\x01"):
        response = httpx.post(url, json={"model": "knowledge", "messages": [{"role": "user", "content": content}]})
        assert response.status_code == 400, response.text
        assert "empty" in response.json()["error"]["message"]
    messages = [
        {"role": "user", "content": "Apa itu diplomasi siber? " + "kata " * 4000},
        {"role": "assistant", "content": "jawaban " * 3000},
        {"role": "user", "content": "Mengapa?"},
    ]
    response = httpx.post(url, json={"model": "knowledge", "messages": messages}, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"]
    assert len(response.json()["answer"]["query"]) <= indexed_settings.max_question_chars + 20


# --- files ---------------------------------------------------------------------------------------------

GOOD_TEXT = "Pelabuhan Tanjung Emas di Semarang melayani kapal barang dan kapal penumpang setiap hari. " * 3


def _good_files(folder):
    from tests.fixtures_files import make_docx, make_pdf

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "teks.txt").write_text("Teks biasa. " + GOOD_TEXT, encoding="utf-8")
    (folder / "catatan.md").write_text("# Catatan\n\nCatatan pelabuhan. " + GOOD_TEXT, encoding="utf-8")
    (folder / "halaman.html").write_text(f"<html><body><p>Halaman web. {GOOD_TEXT}</p></body></html>", encoding="utf-8")
    make_pdf(folder / "laporan.pdf", ["Laporan PDF. " + GOOD_TEXT])
    make_docx(folder / "esai.docx", "Esai", "Esai", ["Esai Word. " + GOOD_TEXT])
    return sorted(p.name for p in folder.iterdir())


def _chunks_by_source(settings, name):
    from assistant.index.snapshots import CollectionPaths

    chunks = {}
    for chunk in CollectionPaths(settings, name).current_snapshot().chunks:
        chunks.setdefault(chunk.source, []).append(chunk.text)
    return chunks


def _bad_variants(folder, kind):
    """Overwrite every reading of ``folder`` with its ``kind`` variant; return the expected reasons."""
    from tests.fixtures_files import make_docx, make_encrypted_pdf, make_office_encrypted, make_pdf

    files = {name: folder / name for name in ("teks.txt", "catatan.md", "halaman.html", "laporan.pdf", "esai.docx")}
    if kind == "empty":
        for path in files.values():
            path.write_bytes(b"")
        return dict.fromkeys(files, "empty file")
    if kind == "truncated":
        for path in files.values():
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        return {"laporan.pdf": "corrupt or unreadable PDF|no text layer", "esai.docx": "corrupt or unreadable DOCX"}
    if kind == "encrypted":
        noise = bytes((i * 7919 + 13) % 256 for i in range(4096))  # what an encrypted file looks like: no text
        for name in ("teks.txt", "catatan.md", "halaman.html"):
            files[name].write_bytes(noise)
        make_encrypted_pdf(files["laporan.pdf"])
        make_office_encrypted(files["esai.docx"])
        return {
            "teks.txt": "binary",
            "catatan.md": "binary",
            "halaman.html": "binary",
            "laporan.pdf": "encrypted PDF: remove the password",
            "esai.docx": "password-protected Office file: remove the password",
        }
    assert kind == "mislabelled"
    make_docx(files["laporan.pdf"], "x", "x", ["Sebenarnya dokumen Word."])
    make_pdf(files["esai.docx"], ["Sebenarnya PDF."])
    files["teks.txt"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    make_pdf(files["catatan.md"], ["Sebenarnya PDF."])
    make_docx(files["halaman.html"], "x", "x", ["Sebenarnya dokumen Word."])
    return {
        "laporan.pdf": "not a PDF: the content is a Word document",
        "esai.docx": "not a Word document: the content is a PDF",
        "teks.txt": "not a text file: the content is a PNG image",
        "catatan.md": "not a text file: the content is a PDF",
        "halaman.html": "not a text file: the content is a Word document",
    }


def test_bad_files_of_every_format_are_refused_and_nothing_indexed_is_lost(make_settings, tmp_path):
    from assistant.index.sync import sync_collection

    folder = tmp_path / "format"
    names = _good_files(folder)
    settings = make_settings(knowledge_dir=folder, collection="format")
    first = sync_collection(settings)
    assert not first.failed and sorted(first.added) == names
    good = _chunks_by_source(settings, "format")
    assert sorted(good) == names
    for kind in ("truncated", "empty", "encrypted", "mislabelled"):
        _good_files(folder)
        sync_collection(settings)
        expected = _bad_variants(folder, kind)
        report = sync_collection(settings)
        reasons = {f["path"]: f["error"] for f in report.failed}
        for name, reason in expected.items():
            assert name in reasons and re_search(reason, reasons[name]), (kind, name, reasons.get(name))
        assert set(reasons) <= set(expected), (kind, reasons)
        after = _chunks_by_source(settings, "format")
        for name in expected:  # the refused files keep their indexed version
            assert after[name] == good[name], (kind, name)


def re_search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text) is not None


def test_docx_bombs_are_refused_in_bounded_work(tmp_path):
    from assistant.errors import IngestError
    from assistant.ingest.checks import Limits
    from assistant.ingest.loaders import load_document
    from tests.fixtures_files import make_docx_with_big_member, make_docx_with_empty_paragraphs

    bomb = make_docx_with_big_member(tmp_path / "bom.docx", 12)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(IngestError, match="unpacks to 13 MB, over the 10 MB limit .*zip bomb"):
        load_document(bomb, limits=Limits(max_docx_mb=10))
    empty = make_docx_with_empty_paragraphs(tmp_path / "kosong.docx", 200_000)
    with pytest.raises(IngestError, match="more than 50,000 paragraphs"):
        load_document(empty)


@pytest.mark.parametrize("member", ["word/document.xml", "word/media/image1.bin"])
def test_docx_bombs_that_understate_their_size_are_refused_in_bounded_work(tmp_path, member):
    """A zip whose headers declare 1,000 bytes for a member that unpacks to 40 MB. Reading stops at the
    declared size (the zip library's own bound): the body is refused as corrupt, and a member nothing
    refers to is never unpacked (the document's text is read without it). Either way 40 MB are never made."""
    import time
    import tracemalloc

    from assistant.errors import IngestError
    from assistant.ingest.loaders import load_document
    from tests.fixtures_files import make_docx_understating

    bomb = make_docx_understating(tmp_path / "bohong.docx", member, 40)
    assert bomb.stat().st_size < 500_000
    tracemalloc.start()
    started = time.perf_counter()
    if member == "word/document.xml":
        with pytest.raises(IngestError, match="corrupt or unreadable DOCX"):
            load_document(bomb)
    else:
        assert "Satu paragraf biasa." in load_document(bomb).text
    seconds, (_, peak) = time.perf_counter() - started, tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert seconds < 30  # bounded work: a bound, not a benchmark
    assert peak < 10 * 2**20, peak  # Python's allocations while loading: far from the 40 MB unpacked


def test_pdf_page_limit(tmp_path):
    from assistant.errors import IngestError
    from assistant.ingest.checks import Limits
    from assistant.ingest.loaders import load_document
    from tests.fixtures_files import make_pdf

    pdf = make_pdf(tmp_path / "tebal.pdf", [f"Halaman {i}." for i in range(1, 61)])
    with pytest.raises(IngestError, match="PDF has 60 pages, over the limit of 50: split it"):
        load_document(pdf, limits=Limits(max_pdf_pages=50))
    assert load_document(pdf, limits=Limits(max_pdf_pages=60)).pages[-1].label == "60"


@pytest.mark.parametrize(
    "encoding, data",
    [
        (
            "cp1252",
            "Sebuah pendekatan naïve, kata señor García; satuan Ångström. “Kutipan” – selesai.".encode("cp1252"),
        ),
        ("latin-1", "Sebuah pendekatan naïve, kata señor García; satuan Ångström.".encode("latin-1")),
        ("utf-16", "Sebuah pendekatan naïve, kata señor García; satuan Ångström.".encode("utf-16")),
        ("utf-16-be", "\ufeffSebuah pendekatan naïve, kata señor García; satuan Ångström.".encode("utf-16-be")),
        ("utf-8 cut", "Sebuah pendekatan naïve, kata señor García; satuan Ångström. é".encode()[:-1]),
    ],
)
def test_non_utf8_text_is_decoded_as_written(write, encoding, data):
    from assistant.ingest.loaders import load_document

    document = load_document(write("bacaan.txt", data))
    assert "naïve" in document.text and "señor García" in document.text and "Ångström" in document.text, encoding


def test_a_file_of_too_many_passages_is_refused_and_its_old_version_kept(make_settings, tmp_path):
    from assistant.index.sync import sync_collection

    folder = tmp_path / "panjang"
    folder.mkdir()
    (folder / "buku.md").write_text("# Buku\n\n" + GOOD_TEXT, encoding="utf-8")
    settings = make_settings(knowledge_dir=folder, collection="panjang", max_chunks_per_file=20)
    assert not sync_collection(settings).failed
    before = _chunks_by_source(settings, "panjang")["buku.md"]
    (folder / "buku.md").write_text("# Buku\n\n" + "\n\n".join([GOOD_TEXT] * 200), encoding="utf-8")  # ~55,000 chars
    report = sync_collection(settings)
    assert report.failed and report.failed[0]["path"] == "buku.md"
    assert "about 73 passages, over the limit of 20 per file: split the file" in report.failed[0]["error"]
    assert _chunks_by_source(settings, "panjang")["buku.md"] == before


def test_links_out_of_the_reading_folder_are_not_followed(make_settings, tmp_path):
    from assistant.index.sync import sync_collection

    folder, outside = tmp_path / "tautan", tmp_path / "luar"
    (folder / "dalam").mkdir(parents=True)
    outside.mkdir()
    (folder / "dalam" / "asli.md").write_text("# Asli\n\n" + GOOD_TEXT, encoding="utf-8")
    (folder / "salinan.md").symlink_to(folder / "dalam" / "asli.md")  # a link inside the folder: followed
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (outside / "rahasia.md").write_text("# Rahasia\n\nKata sandi server adalah kuda-terbang-42.", encoding="utf-8")
    (folder / "folder-luar").symlink_to(outside, target_is_directory=True)
    settings = make_settings(knowledge_dir=folder, collection="tautan")
    report = sync_collection(settings)
    refused = {f["path"]: f["error"] for f in report.failed}
    assert "passwd.txt" in refused and "outside the reading folder: not followed" in refused["passwd.txt"]
    assert "folder-luar/rahasia.md" in refused or "folder-luar/rahasia.md" not in report.added
    chunks = _chunks_by_source(settings, "tautan")
    assert set(chunks) == {"dalam/asli.md", "salinan.md"}
    text = " ".join(t for texts in chunks.values() for t in texts)
    assert "root:" not in text and "kuda-terbang" not in text


@pytest.mark.parametrize(
    "label",
    [
        "../../../etc/cron.d/tugas.md",
        "C:\\Windows\\..\\tugas.md",
        "tugas\x00akhir.md",
        "a" * 300 + ".md",
        "é" * 120 + ".md",
        "CON.md",
        "  ..  .md",
    ],
)
def test_odd_file_names_are_stored_safely(make_settings, write, label):
    from assistant.library.documents import add_documents

    settings = make_settings()
    report = add_documents(settings, [write("sumber.md", "# Sumber\n\n" + GOOD_TEXT)], "nama", labels=[label])
    assert not report.refused, report.refused
    stored = report.added[0]["stored"]
    folder = settings.data_dir / "library" / "nama"
    assert (folder / stored).is_file() and (folder / stored).resolve().parent == folder.resolve()
    assert stored.endswith(".md") and len(stored.encode()) <= 180 and "\x00" not in stored


def test_add_a_file_with_a_long_non_ascii_name_in_the_cli(make_settings, tmp_path):
    settings = make_settings()
    path = tmp_path / ("é" * 120 + ".md")  # 243 bytes: allowed on disk, too long with a temporary suffix
    path.write_text("# Nama panjang\n\n" + GOOD_TEXT, encoding="utf-8")
    env = {"ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_CACHE_DIR": str(settings.vector_cache_dir)}
    result = runner.invoke(app, ["add", "--json", "--collection", "nama", str(path)], env=env)
    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)["added"][0]["stored"]
    assert stored.startswith("é") and len(stored.encode()) <= 180


def test_the_file_routes_serve_readings_only(odd_settings, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.cli.serve import build

    folder = odd_settings.knowledge_dir
    (folder / ".readings-keys.json").write_text('{"key": "rahasia"}', encoding="utf-8")
    (folder / "catatan-pribadi.odt").write_bytes(b"PK\x03\x04 not served")
    (tmp_path / "luar.md").write_text("di luar folder", encoding="utf-8")
    (folder / "tautan.md").symlink_to(tmp_path / "luar.md")
    try:
        with TestClient(build(odd_settings)) as http:
            for route in ("/gradio_api/file=", "/gradio_api/file/"):
                served = http.get(route + str(folder / "catatan.md"))
                assert served.status_code == 200 and "[sic]" in served.text
                for name in (".readings-keys.json", "catatan-pribadi.odt", "tautan.md", "sub/../.readings-keys.json"):
                    response = http.get(route + str(folder) + "/" + name)
                    assert response.status_code == 404, (route, name, response.status_code)
                    assert "rahasia" not in response.text and "di luar" not in response.text
    finally:
        for name in (".readings-keys.json", "catatan-pribadi.odt", "tautan.md"):
            (folder / name).unlink()


# --- question sets for `assistant eval` ----------------------------------------------------------------

GOOD_ENTRY = '{"id": "q1", "question": "Apa kata penyunting?", "lang": "id", "answerable": true, "gold_quotes": ["dibiarkan seperti aslinya"]}'


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "q2", "question": "Apa?", "lang": "id", "answerable": true, "gold_quotes": ["x"]', "invalid JSON"),
        ("not json at all", "invalid JSON"),
        ('["a", "list"]', "each line must be a JSON object"),
        ('{"id": 7, "question": "Apa?", "lang": "id", "answerable": false}', "'id' must be a non-empty string"),
        ('{"id": "q2", "question": 42, "lang": "id", "answerable": false}', "'question' must be a non-empty string"),
        ('{"id": "q2", "question": " \\u0000 ", "lang": "id", "answerable": false}', "empty or only spaces"),
        ('{"id": "q2", "question": "Apa?", "lang": "fr", "answerable": false}', "'lang' must be 'id' or 'en'"),
        ('{"id": "q2", "question": "Apa?", "lang": "id", "answerable": "yes"}', "'answerable' must be true or false"),
        ('{"id": "q2", "question": "Apa?", "lang": "id", "answerable": true, "gold_quotes": "x"}', "must be a list"),
        ('{"id": "q2", "question": "Apa?", "lang": "id", "answerable": true, "gold_quotes": [1]}', "must be a list"),
        ('{"id": "q2", "question": "Apa?", "lang": "id", "answerable": true}', "needs 'gold_quotes'"),
        ('{"id": "q1", "question": "Apa?", "lang": "id", "answerable": false}', "id 'q1' is repeated"),
        ('{"id": "c1", "turns": [{"question": "Apa?", "lang": "id", "answerable": 1}]}', "turn 1: 'answerable'"),
    ],
)
def test_broken_question_set_lines_are_named_with_their_line(odd_settings, tmp_path, line, message):
    path = tmp_path / "rusak.jsonl"
    path.write_text(GOOD_ENTRY + "\n\n" + line + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path), "--out", str(tmp_path / "out")], env=_env(odd_settings))
    assert result.exit_code == 2, result.output
    text = result.output.replace("\n", "")
    assert "rusak.jsonl:3" in text and message in text, result.output


def test_question_set_encodings(tmp_path):
    from assistant.errors import SetError
    from assistant.evaluation.sets import load_question_set

    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD_ENTRY.encode())
    assert load_question_set(bom).items[0].where == f"{bom}:1"
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(
        GOOD_ENTRY.encode() + b"\n" + GOOD_ENTRY.replace("q1", "q2").replace("Apa", "Señor").encode("cp1252")
    )
    with pytest.raises(SetError, match="latin.jsonl:2: not UTF-8 text .*save the question set as UTF-8"):
        load_question_set(latin)


def test_a_gold_quote_not_in_the_readings_is_named_with_its_line(odd_settings, tmp_path):
    path = tmp_path / "kutipan.jsonl"
    missing = '{"id": "q2", "question": "Apa itu BSSN?", "lang": "id", "answerable": true, "gold_quotes": ["Badan Siber dan Sandi Negara dibentuk"]}'
    path.write_text(GOOD_ENTRY + "\n" + missing + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path), "--out", str(tmp_path / "out")], env=_env(odd_settings))
    assert result.exit_code == 0, result.output
    text = result.output.replace("\n", "")
    assert "kutipan.jsonl:2: gold quote 'Badan Siber dan Sandi Negara dibentuk' is not in the readings" in text
    assert "kutipan.jsonl:1:" not in text


@pytest.mark.parametrize(
    "question",
    [
        "Apa itu diplomasi siber? " + "kata " * 20000,  # 100,025 characters
        "🌏 Apa arti diplomasi siber 🌏 itu? 🤔",
        "ما هو معنى الدبلوماسية السيبرانية؟ Apa itu diplomasi siber?",
        "Apa itu\x07 diplomasi\x1b siber?\x00",
    ],
    ids=["100k", "emoji", "rtl", "control"],
)
def test_web_and_openai_apis_answer_long_and_odd_questions(web_server, web_client, indexed_settings, question):
    """The final message itself (not only the history) is cut in both web interfaces, and emoji,
    right-to-left and control characters get an answer or a decline, never an error."""
    limit = indexed_settings.max_question_chars
    result = web_client.predict(question, api_name="/ask")
    assert len(result["question"]) <= limit and (result["abstained"] or result["citations"])
    assert ("shortened" in " ".join(result["notes"])) == (len(question.strip()) > limit)
    response = httpx.post(
        web_server.url + "v1/chat/completions",
        json={"model": "knowledge", "messages": [{"role": "user", "content": question}]},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"].strip()
