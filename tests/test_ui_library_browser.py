"""The Library tab in a real browser: upload (one good file, one refused), see it in the table,
get a cited answer from it in the Chat tab, then delete it."""

from __future__ import annotations

import pytest

from tests.helpers import free_port
from tests.ui_server import CHROMIUM_ARGS, chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STRAIT = (
    "---\ntitle: Selat Sunda\nauthor: Dosen Tamu\n---\n# Selat Sunda\n\nJembatan Selat Sunda direncanakan "
    "menghubungkan Pulau Jawa dan Pulau Sumatra sepanjang sekitar 29 kilometer.\n"
)


@pytest.fixture
def served(make_settings, write, tmp_path):
    from assistant.library.documents import add_documents
    from assistant.library.service import Library
    from assistant.service import Assistant
    from assistant.ui.app import build_app, configure_queue, launch_options

    settings = make_settings(collection="kuliah", knowledge_dir=tmp_path / "kuliah", port=free_port())
    add_documents(
        settings,
        [write("pelabuhan.md", "# Pelabuhan\n\nPelabuhan Tanjung Priok adalah pelabuhan tersibuk di Indonesia.\n")],
        "kuliah",
    )
    assistant = Assistant(settings)
    app = configure_queue(build_app(assistant, Library(settings), settings), settings)
    options = launch_options(settings)
    options.pop("theme", None)
    app.launch(prevent_thread_lock=True, quiet=True, **options)
    try:
        yield settings, f"http://127.0.0.1:{settings.port}/"
    finally:
        app.close()


@pytest.fixture
def page():
    executable = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_upload_shows_in_table_and_answers_then_delete(served, page, write):
    from playwright.sync_api import expect

    settings, url = served
    good = write("upload/Selat Sunda (draf).md", STRAIT)
    fake = write("upload/palsu.pdf", "this is not a pdf")
    page.goto(url, wait_until="load")
    page.get_by_role("tab", name="Library").click()
    table = page.locator("#library-table")
    expect(table).to_contain_text("Pelabuhan", timeout=30_000)

    page.locator("#library-upload input[type=file]").set_input_files([str(good), str(fake)])
    status = page.locator("#library-status")
    expect(status).to_contain_text("Added Selat Sunda (draf).md", timeout=90_000)
    expect(status).to_contain_text("Refused: palsu.pdf: not a PDF")
    expect(table).to_contain_text("Selat Sunda", timeout=30_000)
    expect(table).to_contain_text("Dosen Tamu")
    assert sorted(p.name for p in settings.knowledge_dir.iterdir()) == ["Selat Sunda (draf).md", "pelabuhan.md"]

    page.get_by_role("tab", name="Chat").click()
    page.locator("#question textarea").fill("Berapa panjang Jembatan Selat Sunda yang direncanakan?")
    page.locator("#send").click()
    sources = page.locator("#sources")
    expect(sources).to_contain_text("Selat Sunda (draf).md", timeout=90_000)
    expect(page.locator("#chat")).to_contain_text("29 kilometer")

    page.get_by_role("tab", name="Library").click()
    table.get_by_role("gridcell").filter(has_text="Selat Sunda (draf).md").click()
    expect(page.locator("#library-doc input")).to_have_value("Selat Sunda (draf).md", timeout=10_000)
    page.locator("#library-delete").click()
    expect(status).to_contain_text("Deleted Selat Sunda (draf).md", timeout=60_000)
    expect(table).not_to_contain_text("Selat Sunda")

    # upload into a new collection: the shared selector switches to it, no restart needed
    page.locator("#library-new-collection textarea").fill("minggu2")
    page.locator("#library-upload input[type=file]").set_input_files([str(good)])
    expect(status).to_contain_text("Created collection minggu2", timeout=60_000)
    expect(page.locator("#collection input")).to_have_value("minggu2", timeout=10_000)
    expect(table).to_contain_text("Selat Sunda (draf).md")
    assert (settings.data_dir / "library" / "minggu2" / "Selat Sunda (draf).md").is_file()
