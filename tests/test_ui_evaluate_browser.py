"""The Evaluate tab in headless Chromium: run two entries of the source set, see the metric
table, the chart, the per-question table and a question's details, and get both files."""

from __future__ import annotations

import json

import pytest

from tests.ui_server import browser_page, shared_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
RUN_TIMEOUT = 240_000


@pytest.fixture(scope="session")
def server(indexed_settings):
    return shared_server(indexed_settings)


@pytest.fixture(scope="module")
def page(server):
    with browser_page(server.url, "#eval-run", timeout_ms=30_000, tab="Evaluate") as page:
        yield page


def test_evaluate_tab_runs_a_set_and_shows_its_tables(page, shots):
    assert "source.jsonl" in page.locator("#eval-sets").inner_text()
    page.fill("#eval-limit input", "2")
    page.click("#eval-run")
    page.wait_for_selector("#eval-status:has-text('Ran 2 questions')", timeout=RUN_TIMEOUT)

    metrics = page.locator("#eval-metrics").inner_text()
    for name in ("recall@5", "mrr@10", "ndcg@10", "citation_precision", "quote_validity", "abstention_f1"):
        assert name in metrics
    assert "source" in metrics and "1.000" in metrics  # quote validity is 1 on any run

    table = page.locator("#eval-questions").inner_text()
    assert "src-01" in table and "src-02" in table
    assert page.locator("#eval-chart").count() == 1

    details = page.locator("#eval-details")
    details.locator("text=Top 10 retrieved").wait_for()
    first = details.inner_text()
    # the table renders a cell's text twice (a hidden sizing copy and the visible cell): click the visible one
    page.locator("#eval-questions").get_by_text("src-01", exact=True).filter(visible=True).first.click()
    page.wait_for_function("() => document.querySelector('#eval-details').innerText.includes('src-01')")
    assert "Gold quotes" in details.inner_text() and "Negara semakin memusatkan" in details.inner_text()
    assert first  # some question's details were shown right after the run

    files = page.locator("#eval-files")
    assert "results.json" in files.inner_text() and "report.md" in files.inner_text()
    link = files.locator("a[download='results.json']")
    href = link.get_attribute("href")
    data = json.loads(page.request.get(href).text())
    assert [q["id"] for q in data["questions"]] == ["src-01", "src-02"]
    page.screenshot(path=str(shots / "evaluate.png"), full_page=True)
