"""The web app in headless Chromium: streamed answers, highlighted sources, abstention, phone layout.

Screenshots go to a temporary folder; ``ASSISTANT_REFRESH_SCREENSHOTS=1`` refreshes docs/screenshots/ (committed).
"""

from __future__ import annotations

import re

import pytest

from tests.ui_server import CHROMIUM_ARGS, chromium, shared_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ANSWER_TIMEOUT = 90_000


@pytest.fixture(scope="session")
def server(indexed_settings):
    return shared_server(indexed_settings)


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, server):
    pages = []

    def _open(viewport):
        page = browser.new_page(viewport=viewport)
        page.set_default_timeout(30_000)
        pages.append(page)
        page.goto(server.url, wait_until="load")
        page.wait_for_selector("#question textarea")
        return page

    yield _open
    for page in pages:
        page.close()


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#send")


def expected_answer(server, question: str) -> dict:
    from gradio_client import Client

    return Client(server.url, verbose=False).predict(question, api_name="/ask")


def test_answer_streams_with_highlighted_sources(open_page, server, shots):
    question = "Apa peran BSSN dalam pengembangan kapasitas siber?"
    page = open_page(DESKTOP)
    examples = page.locator("#chat button.example")
    assert examples.count() >= 4
    assert "Apa itu diplomasi siber?" in examples.all_inner_texts()[0]
    ask(page, question)
    page.wait_for_selector("#sources mark.quote", timeout=ANSWER_TIMEOUT)
    expected = expected_answer(server, question)
    assert not expected["abstained"]
    marks = page.locator("#sources mark.quote").all_inner_texts()
    assert [m.strip() for m in marks] == [c["quote"].strip() for c in expected["citations"]]
    reply = page.locator("#chat .answer-text").last.inner_text()
    assert re.search(r"\[1\]", reply) and "abstention" not in page.inner_html("#chat")
    meta = page.locator("#sources .source-meta").first.inner_text()
    assert expected["citations"][0]["source"] in meta
    assert page.locator("#sources .source-n").first.inner_text() == "[1]"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "chat-desktop.png"))

    ask(page, "Kapan badan itu dibentuk?")  # a follow-up: the session's history goes with it
    page.wait_for_function(
        "document.querySelectorAll('#chat .answer-text, #chat .abstention').length === 2", timeout=ANSWER_TIMEOUT
    )
    assert page.locator("#chat .message-row, #chat .message").count() >= 4

    page.click("#clear")
    page.wait_for_selector("#sources-panel[data-state=empty]")
    page.wait_for_selector("#chat button.example")
    assert page.locator("#chat .answer-text").count() == 0


def test_unanswerable_question_shows_abstention_style(open_page, shots):
    page = open_page(DESKTOP)
    ask(page, "Bagaimana resep rendang?")
    page.wait_for_selector("#sources-panel[data-state=abstained]", timeout=ANSWER_TIMEOUT)
    box = page.locator("#chat .abstention").last
    box.wait_for()
    assert box.evaluate("e => getComputedStyle(e).borderLeftWidth") == "4px"
    assert page.locator("#chat .answer-text").count() == 0
    assert page.locator("#sources mark").count() == 0
    assert page.locator("#sources .closest .source").count() >= 1  # the closest passages are still shown
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "chat-abstention-desktop.png"))


def test_phone_width_example_click(open_page, shots):
    page = open_page(PHONE)
    page.locator("#chat button.example").first.click()
    page.wait_for_selector("#sources mark.quote", timeout=ANSWER_TIMEOUT)
    assert "diplomasi siber" in page.locator("#chat .answer-text").last.inner_text().lower()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing overflows sideways
    page.locator("#chat").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "chat-phone.png"))
    page.locator("#sources").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "chat-phone-sources.png"))
