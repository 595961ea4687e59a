"""The UI's HTML fragments (Jinja2 templates with autoescape, markupsafe): every value from a reading,
a file name or an error is text in the page, never markup, and the fragments keep their structure."""

from __future__ import annotations

from types import SimpleNamespace

from bs4 import BeautifulSoup

from assistant.types import Answer, Chunk, Citation, Passage
from assistant.ui.chat import answer_message
from assistant.ui.html import render_sources, status_list
from assistant.ui.library import remove_status, sync_status, upload_status

EVIL = "Nye's \"soft\" <power> & <script>alert('x')</script>"


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_an_answer_s_sources_show_the_reading_as_text_with_the_quote_and_span_marked():
    text = f"Intro {EVIL}. Dibuka pada November 2001 & berlaku. End."
    quote = "Dibuka pada November 2001 & berlaku."
    start = text.index("November")
    cited = Citation(1, "c1", "a&b.md", EVIL, "§ 2", text, quote, 0, 9, answer_start=start, answer_end=start + 13)
    other = Citation(2, "c2", "x.md", "T2", "", text, "not in the passage", 0, 9)
    soup = _soup(render_sources(Answer("A", citations=[cited, other])))
    panel = soup.find(id="sources-panel")
    assert panel["data-state"] == "answered" and not soup.find("script") and not soup.find("power")
    first, second = panel.find_all("li", class_="source")
    assert first["id"] == "source-1" and first["data-n"] == "1" and second["data-n"] == "2"
    assert first.strong.get_text() == EVIL
    assert first.find(class_="source-meta").get_text() == "a&b.md · § 2"
    assert second.find(class_="source-meta").get_text() == "x.md"  # no empty location
    body = first.find("blockquote", class_="source-text")
    assert body.get_text() == text
    assert body.find("mark", class_="quote").get_text() == quote
    assert body.find("mark", class_="answer").get_text() == "November 2001"
    assert second.blockquote.get_text() == text and not second.find("mark")


def test_an_abstention_lists_the_closest_passages_as_text():
    chunk = Chunk("c1", "r<1>.md", EVIL, 0, len(EVIL), {"title": EVIL})
    soup = _soup(render_sources(Answer("", abstained=True, passages=[Passage(chunk, 0.5)] * 2)))
    assert soup.find(id="sources-panel")["data-state"] == "abstained"
    assert "No answer in the readings." in soup.find(class_="abstention").get_text()
    cards = soup.find("ol", class_="closest").find_all("li")
    assert len(cards) == 2 and not cards[0].has_attr("id") and not cards[0].find(class_="source-n")
    assert cards[0].blockquote.get_text() == EVIL and not soup.find("script")


def test_chat_messages_and_status_boxes_escape_what_they_show():
    message = _soup(answer_message(Answer(EVIL, notes=[EVIL]), note="<i>shortened</i>"))
    assert message.find(class_="answer-text").get_text() == EVIL and not message.find(["script", "i"])
    assert message.get_text().count(EVIL) == 2 and "_<i>shortened</i>_" in message.get_text()
    boxed = _soup(answer_message(Answer(EVIL, abstained=True)))
    assert boxed.find(class_="abstention")["data-abstained"] == "true"

    report = SimpleNamespace(
        added=[{"stored": "a<b>.md", "title": EVIL}],
        duplicates=[{"file": "d&.md", "existing": "e<.md"}],
        refused=[{"file": 'r".md', "error": "bad <x>"}],
        created=True,
        collection="c<1>",
        sync=None,
    )
    box = _soup(upload_status(report)).find(id="library-status-box")
    assert box["data-kind"] == "error"
    lines = [li.get_text() for li in box.find_all("li")]
    assert lines[:2] == ["Created collection c<1>", f"Added a<b>.md ({EVIL})"]
    assert [b.get_text() for b in box.find_all("b")] == ["c<1>", "a<b>.md"]  # the bold is markup, the names text
    assert lines[2:] == ["Duplicate: d&.md has the same content as e<.md; not added again", 'Refused: r".md: bad <x>']
    removed = _soup(remove_status(SimpleNamespace(removed=["<b>x</b>"], missing=[{"error": "no <such> file"}])))
    assert [li.get_text() for li in removed.find_all("li")] == ["Deleted <b>x</b>", "no <such> file"]
    failed = [{"path": "p<.md", "error": "e&"}]
    synced = _soup(
        sync_status(
            SimpleNamespace(added=[1], updated=[], removed=[], unchanged=[], chunks=5, seconds=0.5, failed=failed)
        )
    )
    assert synced.find_all("li")[-1].get_text() == "Skipped p<.md: e&"
    assert _soup(status_list("box", ["<img src=x>"])).find(id="box").li.get_text() == "<img src=x>"
