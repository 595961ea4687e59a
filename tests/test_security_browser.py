"""HTML and script text in a reading, in its title and in questions is shown as text in every panel of
the web app, checked in the page Chromium renders: Chat (question, answer, sources), Library (the
documents table) and Evaluate (questions table and details). A script that ran or an element that was
parsed from the text would set ``window.__pwned`` or add an ``img.pwned``. And an upstream LLM error that
echoes the API key leaves no trace of the key anywhere in the rendered Chat page."""

from __future__ import annotations

import json

import pytest

from tests._upstream import EchoKeyUpstream
from tests.ui_server import browser_page, start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PAYLOAD = '<script>window.__pwned=1</script><img class=pwned src=x onerror="window.__pwned=2">'
TITLE = f"Siber <b>tebal</b> {PAYLOAD}"
READING = (
    f"---\ntitle: '{TITLE}'\nlanguage: id\n---\n"
    # in a code span, so that the cleaned text keeps it (HTML outside code is left out at ingest)
    f"Badan Siber dan Sandi Negara (BSSN) dibentuk pada tahun 2017 dengan kode `{PAYLOAD}` untuk menjaga "
    "keamanan siber nasional. Dokumen itu harus tampil sebagai teks biasa.\n"
)
QUESTION = f"Kapan BSSN dibentuk? {PAYLOAD}"
PLAIN_QUESTION = "Kapan BSSN dibentuk?"
DONE = "#sources-panel[data-state=answered], #sources-panel[data-state=abstained]"
TIMEOUT = 300_000  # an answer takes seconds; minutes on a loaded 2-core machine
UPSTREAM_KEY = "sk-upstream-page-7d31c0a9e4f2b8"


@pytest.fixture(scope="module")
def upstream():
    with EchoKeyUpstream() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(tmp_path_factory, shared_cache, upstream):
    from assistant.config import Settings
    from assistant.index.sync import sync_collection

    folder = tmp_path_factory.mktemp("html-readings")
    (folder / "siber-html.md").write_text(READING, encoding="utf-8")
    evals = tmp_path_factory.mktemp("html-evals")
    item = {"id": "x<b>1</b>", "question": QUESTION, "lang": "id", "answerable": True, "gold_quotes": ["tahun 2017"]}
    (evals / "html.jsonl").write_text(json.dumps(item) + "\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path_factory.mktemp("html-data"), cache_dir=shared_cache, knowledge_dir=folder)
    sync_collection(settings)
    served = start_server(
        settings,
        ASSISTANT_EVALS_DIR=str(evals),
        ASSISTANT_LLMS='["openai:echo"]',
        ASSISTANT_OPENAI_BASE_URL=f"http://127.0.0.1:{upstream.port}/v1",
        ASSISTANT_OPENAI_API_KEY=UPSTREAM_KEY,
    ).wait_ready(timeout=900)
    yield served
    served.stop()


@pytest.fixture(scope="module")
def page(server):
    with browser_page(server.url, "#question textarea") as page:
        yield page


def nothing_ran(page) -> None:
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img.pwned").count() == 0 and page.locator("b:has-text('tebal')").count() == 0


def ask(page, question: str) -> None:
    """Send ``question`` and wait until its answer (or abstention) is in the sources panel."""
    answers = page.locator("#chat .answer-text, #chat .abstention").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        "n => document.querySelectorAll('#chat .answer-text, #chat .abstention').length > n",
        arg=answers,
        timeout=TIMEOUT,
    )
    page.wait_for_selector(DONE, timeout=TIMEOUT)


def test_chat_shows_html_in_question_answer_and_sources_as_text(page):
    ask(page, PLAIN_QUESTION)  # first in the conversation: the answer quotes the sentence with the HTML
    page.wait_for_selector("#sources mark.quote", timeout=TIMEOUT)
    assert PAYLOAD in page.locator("#chat .answer-text").last.inner_text()  # the answer quotes it as text
    assert any(PAYLOAD in mark for mark in page.locator("#sources mark.quote").all_inner_texts())
    nothing_ran(page)
    ask(page, QUESTION)  # answered or declined: either way the question and the passage are text
    chat, sources = page.locator("#chat").inner_text(), page.locator("#sources").inner_text()
    assert QUESTION in chat  # the question, as typed
    assert PAYLOAD in sources and "<b>tebal</b>" in sources  # the passage and the reading's title
    nothing_ran(page)


def test_library_and_evaluate_show_html_as_text(page):
    page.get_by_role("tab", name="Library").click()
    page.wait_for_selector("#library-table:has-text('tebal')", timeout=TIMEOUT)
    assert "<b>tebal</b>" in page.locator("#library-table").inner_text()
    nothing_ran(page)
    page.get_by_role("tab", name="Evaluate").click()
    page.click("#eval-run")
    page.wait_for_selector("#eval-status:has-text('Ran 1 questions')", timeout=TIMEOUT)
    page.locator("#eval-details").locator("text=Top 10 retrieved").wait_for(timeout=TIMEOUT)
    assert "<script>window.__pwned=1</script>" in page.locator("#eval-questions").inner_text()
    details = page.locator("#eval-details").inner_text()
    assert "x<b>1</b>" in details and "<script>window.__pwned=1</script>" in details
    nothing_ran(page)


def test_the_chat_page_never_shows_an_echoed_api_key(page, upstream):
    page.get_by_role("tab", name="Chat").click()
    page.click("#llm input")
    page.get_by_role("option", name="openai:echo").click()
    ask(page, PLAIN_QUESTION)  # the upstream refuses with the key in its message: the extractive fallback answers
    assert upstream.requests, "the page never asked the upstream LLM"
    note = page.locator("#chat").inner_text()
    assert "[redacted]" in note  # the upstream's error is shown, redacted
    html = page.content()
    for text in (html, note, page.locator("#sources").inner_text()):
        assert UPSTREAM_KEY not in text and UPSTREAM_KEY[3:20] not in text


def test_library_status_shows_html_file_names_as_text(page, tmp_path):
    """The upload's status box names the files it added and refused; names with HTML in them run nothing."""
    name = "<img class=pwned src=x onerror=window.__pwned=3>catatan"
    good = tmp_path / f"{name}.md"
    good.write_text("# Catatan\n\nTerumbu karang Teluk Wiyata dipantau setiap musim kemarau oleh tim.\n", "utf-8")
    fake = tmp_path / "<b>tebal.pdf"
    fake.write_text("bukan pdf", encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.locator("#library-upload input[type=file]").set_input_files([str(good), str(fake)])
    page.wait_for_selector("#library-status:has-text('Refused')", timeout=TIMEOUT)
    page.wait_for_selector("#library-status:has-text('Added')", timeout=TIMEOUT)
    status = page.locator("#library-status").inner_text()
    # the upload drops the angle brackets from the names; what is left is shown as text
    assert "Added img class=pwned src=x onerror=window.__pwned=3catatan.md" in status, status
    assert "Refused: btebal.pdf: not a PDF" in status, status
    nothing_ran(page)
