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
from tests.ui_server import shared_server

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


@pytest.fixture(scope="module")
def web(indexed_settings):
    return shared_server(indexed_settings)


@pytest.fixture(scope="module")
def client(web):
    from gradio_client import Client

    return Client(web.url, verbose=False)


def test_web_api_refuses_bad_questions_history_and_k(web, client):
    from gradio_client.exceptions import AppError

    logged = len(web.output())
    for question in ("", "   ", "\x00\x07"):
        with pytest.raises(AppError, match="question is empty"):
            client.predict(question, api_name="/ask")
    with pytest.raises(AppError, match="k must be between 1 and 50"):
        client.predict("Apa itu diplomasi siber?", "", "", -5, api_name="/ask")
    for history, match in ((["not a pair"], "history item 1"), ([[1, 2, 3]], "history item 1"), ("x", "list")):
        with pytest.raises(AppError, match=match):
            client.predict("Mengapa?", history, api_name="/chat")
    assert "Traceback" not in web.output()[logged:]


def test_web_api_caps_a_long_history_turn(client, indexed_settings):
    long_turn = "Apa itu diplomasi siber? " + "kata " * 4000
    result = client.predict("Mengapa?", [[long_turn, ""]], api_name="/chat")
    assert len(result["query"]) <= indexed_settings.max_question_chars + 20


def test_openai_api_refuses_an_empty_question_and_caps_history(web, indexed_settings):
    url = web.url + "v1/chat/completions"
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
