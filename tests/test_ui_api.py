"""The web app's API, served for real: gradio_client calls, login, file route, long inputs."""

from __future__ import annotations

import re
import socket

import httpx
import pytest

from tests.helpers import KNOWLEDGE, ROOT, wait_until
from tests.ui_server import start_server

QUESTION = "Apa itu diplomasi siber?"


def check_answer(result: dict, question: str) -> None:
    """An answer's [n] markers match its citations, and every quote is verbatim in its passage."""
    assert result["question"] == question
    assert not result["abstained"]
    assert result["citations"], result
    markers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])})
    assert markers == [c["n"] for c in result["citations"]]
    for citation in result["citations"]:
        assert citation["quote"] and citation["quote"] in citation["text"]
        assert (KNOWLEDGE / citation["source"]).is_file()
        assert citation["title"]


def test_api_exposes_ask_and_chat_but_not_the_chat_tab_events(web_client):
    endpoints = web_client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/chat"} <= set(endpoints)
    for name, info in endpoints.items():  # the Chat tab's own events (chatbot, state) stay private
        assert not any(p["component"] == "Chatbot" for p in info["parameters"]), name
    assert [p["parameter_name"] for p in endpoints["/ask"]["parameters"]] == ["question", "collection", "llm", "k"]


def test_ask_answers_with_citations(web_client):
    result = web_client.predict(QUESTION, api_name="/ask")
    check_answer(result, QUESTION)
    assert result["language"] == "id" and result["llm"] == "extractive"
    assert any("diplomasi siber" in c["quote"].lower() for c in result["citations"])


def test_serve_listens_first_and_warms_up_while_serving(web_server, web_client):
    # The page is served once the index is open; the models load in the background and a request
    # that arrives meanwhile waits for them instead of failing.
    check_answer(web_client.predict(QUESTION, api_name="/ask"), QUESTION)
    wait_until(lambda: "ready in" in web_server.output(), timeout=120, what=web_server.output)
    output = web_server.output()
    assert "warm-up failed" not in output
    assert output.index("listening in") < output.index("ready in"), output


def test_ask_respects_k_and_collection(web_client):
    result = web_client.predict("What is the Budapest Convention?", "knowledge", "extractive", 2, api_name="/ask")
    check_answer(result, "What is the Budapest Convention?")
    assert len(result["passages"]) == 2
    assert any("budapest" in c["source"] for c in result["citations"])


def test_ask_abstains_on_unanswerable_with_closest_passages(web_client):
    result = web_client.predict("Bagaimana resep rendang?", api_name="/ask")
    assert result["abstained"] is True
    assert result["citations"] == [] and "[1]" not in result["answer"]
    assert len(result["passages"]) >= 1


def test_chat_streams_and_reads_follow_up_in_context(web_client):
    first = web_client.predict(QUESTION, api_name="/ask")
    job = web_client.submit(
        "Bagaimana pandangan realisme tentang itu?", [[QUESTION, first["answer"]]], api_name="/chat"
    )
    job.result(timeout=120)
    outputs = job.outputs()
    final = outputs[-1]
    assert all("partial" in o for o in outputs[:-1])
    assert final["question"] == "Bagaimana pandangan realisme tentang itu?"
    assert QUESTION in final["query"]  # the follow-up was resolved against the history
    assert final["abstained"] or final["citations"]
    assert "partial" not in final and final["partial_answer"] in (True, False)  # chunks alone carry "partial"


def test_long_question_is_cut_with_a_note(web_client, indexed_settings):
    limit = indexed_settings.max_question_chars
    long_question = "Apa itu diplomasi siber? " + "kata " * 2000
    result = web_client.predict(long_question, api_name="/ask")
    assert len(result["question"]) <= limit
    assert any(str(limit) in note and "shortened" in note for note in result["notes"])


def test_unknown_collection_is_a_clear_error(web_client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="not indexed"):
        web_client.predict(QUESTION, "no-such-collection", api_name="/ask")


@pytest.mark.parametrize(
    "target",
    [
        "/etc/passwd",
        str(ROOT / "pyproject.toml"),
        str(KNOWLEDGE / ".." / "pyproject.toml"),
        "{data}/collections/knowledge/current",
    ],
)
def test_file_route_refuses_files_outside_the_readings(web_server, indexed_settings, target):
    target = target.format(data=indexed_settings.data_dir)
    for route in ("gradio_api/file=", "file="):
        response = httpx.get(web_server.url + route + target, timeout=10)
        assert response.status_code in (403, 404), (route, target, response.status_code)
        assert "root:" not in response.text and "[project]" not in response.text


def test_file_route_serves_a_reading(web_server):
    response = httpx.get(web_server.url + "gradio_api/file=" + str(KNOWLEDGE / "README.md"), timeout=10)
    assert response.status_code == 200
    assert response.text == (KNOWLEDGE / "README.md").read_text(encoding="utf-8")


def _outward_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))  # no packet is sent
            address = sock.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_binds_loopback_only(web_server):
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    with pytest.raises(OSError):
        socket.create_connection((address, web_server.port), timeout=3).close()


@pytest.fixture(scope="module")
def auth_server(indexed_settings, tmp_path_factory):
    users = tmp_path_factory.mktemp("auth") / "users.txt"
    users.write_text("# readers\nsiti:kata-sandi-1\nbudi:rahasia:dengan:titik-dua\n", encoding="utf-8")
    server = start_server(indexed_settings, ASSISTANT_AUTH=str(users)).wait_ready()
    yield server
    server.stop()


def test_login_required_when_configured(auth_server):
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises its own kinds, version to version)
        Client(auth_server.url, verbose=False).predict(QUESTION, api_name="/ask")
    with pytest.raises(Exception):  # noqa: B017 (gradio_client raises its own kinds, version to version)
        Client(auth_server.url, auth=("siti", "wrong"), verbose=False)
    response = httpx.post(auth_server.url + "gradio_api/call/ask", json={"data": [QUESTION]}, timeout=10)
    assert response.status_code == 401
    client = Client(auth_server.url, auth=("budi", "rahasia:dengan:titik-dua"), verbose=False)
    check_answer(client.predict(QUESTION, api_name="/ask"), QUESTION)


# ---------------------------------------------------------------- pure helpers (no server)


def test_load_auth_forms(tmp_path):
    from assistant.cli.common import UsageError
    from assistant.cli.serve import load_auth

    assert load_auth(None) is None
    assert load_auth("ana:pw:x") == [("ana", "pw:x")]
    users = tmp_path / "users"
    users.write_text("a:1\n\n# comment\nb:2\n", encoding="utf-8")
    assert load_auth(str(users)) == [("a", "1"), ("b", "2")]
    for bad in ("no-colon", ":pw"):
        with pytest.raises(UsageError):
            load_auth(bad)
    users.write_text("a:1\nbroken\n", encoding="utf-8")
    with pytest.raises(UsageError, match=":2"):
        load_auth(str(users))


def test_highlight_escapes_and_marks_the_quote():
    from assistant.answering.questions import clip_question
    from assistant.ui.html import highlight

    assert highlight("a <b> quote & more", "quote") == 'a &lt;b&gt; <mark class="quote">quote</mark> &amp; more'
    assert highlight("no match here", "absent") == "no match here"
    text = "Intro. Dibuka pada November 2001 & berlaku. End."  # the reader's span inside the quote
    quote = "Dibuka pada November 2001 & berlaku."
    start = text.index("November 2001")
    marked = highlight(text, quote, (start, start + len("November 2001")))
    assert marked == (
        'Intro. <mark class="quote">Dibuka pada <mark class="answer">November 2001</mark> &amp; berlaku.</mark> End.'
    )
    assert highlight(text, quote, (0, 5)) == highlight(text, quote)  # a span outside the quote is not marked
    assert clip_question("  short  ", 10) == ("short", None)
    text, note = clip_question("x" * 50, 10)
    assert text == "x" * 10 and "10" in note


def test_answering_events_share_one_concurrency_limit(make_settings):
    from assistant.library.service import Library
    from assistant.service import Assistant
    from assistant.ui import app as ui
    from assistant.ui import chat as ui_chat
    from assistant.ui.context import ANSWER_QUEUE

    settings = make_settings(concurrency_limit=3, llms=["ollama:qwen3"])
    assert ui.TABS[0] == ("Chat", ui_chat.build)
    app = ui.configure_queue(
        ui.build_app(Assistant(settings), Library(settings), settings, tabs=[("Chat", ui_chat.build)]), settings
    )
    assert app._queue.default_concurrency_limit == 3
    answering = [fn for fn in app.fns.values() if fn.name in ("ask", "chat", "turn")]
    assert len(answering) >= 4  # /ask, /chat, and the chat tab's submit and example events
    assert {fn.concurrency_id for fn in answering} == {ANSWER_QUEUE}
    assert {fn.concurrency_limit for fn in answering} == {"default"}
    llm_choices = [fn for fn in app.blocks.values() if getattr(fn, "elem_id", None) == "llm"][0].choices
    assert [c[1] for c in llm_choices] == ["extractive", "ollama:qwen3"]


def test_serve_refuses_unindexed_collection_and_bad_login(make_settings, monkeypatch):
    from typer.testing import CliRunner

    from assistant.cli.app import app

    settings = make_settings()
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "not indexed" in result.output and "assistant index" in result.output
    monkeypatch.setenv("ASSISTANT_AUTH", "no-password-here")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2 and "user:password" in result.output
