"""A bounded run of ``benchmarks.load`` (the full one, 30 + 30 users for 60 s, is in docs/reliability.md):
a few web-app and API users against a real server while another process adds a reading, removes another
and re-syncs the collection. No request fails, no answer is wrong (each is its question's answer from the
snapshot before or the one after the swap, quotes verbatim; two questions are about the added and the
removed reading, so the two snapshots answer them differently), and the API's queue refuses with 503 when
full."""

from __future__ import annotations

import threading
import time

import pytest

from benchmarks import load
from tests.helpers import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory, shared_cache, indexed_settings):
    server = load.serve(tmp_path_factory.mktemp("load"), shared_cache)
    yield server
    server.stop()


def test_users_during_a_resync_get_no_failed_or_wrong_answer(served):
    asked = load.questions(8)
    before = load.baseline(served.url, asked)
    run = load.run_load(served, asked, users=2, api_users=2, seconds=30, resync=True)
    after = load.baseline(served.url, asked)
    figures = load.judge(run, before, after)
    assert run.resync["exit_code"] == 0, run.resync
    assert "+1" in run.resync["summary"] or '"added": [' in run.resync["summary"]
    assert figures["all"]["requests"] >= 4 and {r.kind for r in run.records} == {"gradio", "api"}
    assert figures["all"]["failed"] == 0, figures
    assert figures["all"]["wrong"] == 0, figures
    assert figures["answered_after_resync_started"] > 0  # answers were given across the swap
    # The swap is visible: the added reading answers its question only after it, the removed one only before.
    assert figures["changed_by_resync"] >= 2, (before, after)
    assert "Teluk Wiyata" not in before[load.ABOUT_ADDED] and "38 persen" in after[load.ABOUT_ADDED]
    assert "Bound to Lead" in before[load.ABOUT_REMOVED] and before[load.ABOUT_REMOVED] != after[load.ABOUT_REMOVED]
    assert served.alive() and run.peak_rss_mb > 100


MANGROVE = """---
title: Hutan Bakau Pesisir Wiyata
language: id
---
Program rehabilitasi hutan bakau di pesisir Wiyata menanam 1.200 hektare bibit bakau antara 2021 dan 2023.
Penanaman dilakukan bersama kelompok nelayan setempat pada musim hujan.
"""
ABOUT_MANGROVE = "Berapa hektare bibit bakau yang ditanam di pesisir Wiyata?"


@pytest.mark.browser
def test_users_during_a_library_tab_resync_get_no_failed_or_wrong_answer(served):
    """The same, with the Library tab's "Re-sync collection" (a sync inside the serving process) instead
    of another process's: the swap is atomic for the users asking meanwhile."""
    from tests.ui_server import browser_page

    asked = [ABOUT_MANGROVE, *load.questions(5)]
    before = load.baseline(served.url, asked)

    def resync_in_the_library_tab(run: load.Load) -> None:
        started = time.monotonic()
        (served.work / "knowledge" / "hutan-bakau-pesisir-wiyata.md").write_text(MANGROVE, encoding="utf-8")
        page.click("#library-resync")
        page.wait_for_selector("#library-status:has-text('Synced:')", timeout=300_000)
        status = page.locator("#library-status").inner_text()
        run.resync = {"started": started, "seconds": time.monotonic() - started, "exit_code": 0, "summary": status}

    with browser_page(served.url, "#library-resync", tab="Library") as page:
        run = load.run_load(
            served, asked, users=2, api_users=2, seconds=30, resync=False, during=resync_in_the_library_tab
        )
    after = load.baseline(served.url, asked)
    figures = load.judge(run, before, after)
    assert "Synced: 1 added" in run.resync["summary"], run.resync
    assert figures["all"]["failed"] == 0, figures
    assert figures["all"]["wrong"] == 0, figures
    assert figures["answered_after_resync_started"] > 0
    assert "1.200 hektare" not in before[ABOUT_MANGROVE] and "1.200 hektare" in after[ABOUT_MANGROVE]
    assert served.alive()


def test_api_queue_refuses_with_503_when_full():
    from assistant.api.openai import _Slots
    from assistant.api.schemas import RequestError

    slots = _Slots(limit=1, queue=1)
    first = slots.take()
    waiting, entered = threading.Event(), threading.Event()

    def second() -> None:
        waiting.set()
        slots.take().release()
        entered.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    waiting.wait(10)
    wait_until(lambda: slots._admitted == 2, timeout=10)  # the second request holds the one queue place
    with pytest.raises(RequestError) as busy:
        slots.take()
    assert busy.value.status == 503 and busy.value.code == "server_busy" and "try again" in str(busy.value)
    assert not entered.is_set()
    first.release()
    assert entered.wait(10)
    thread.join(10)
    slots.take().release()  # room again once both are done
