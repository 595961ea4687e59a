"""The OpenAI-compatible API of `assistant serve`, used by clients nobody here wrote: the official
``openai`` package and LangChain's ``ChatOpenAI``, streaming and not, with login off and on.

The server is the real ``python -m assistant serve`` (the web app and the API on one port). The
only fake is the remote LLM behind ``openai:fake`` (a local HTTP server speaking OpenAI's
protocol, :class:`_answer_helpers.FakeLLMServer`), used to reach the LLM answerer through the API.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest
from _answer_helpers import FakeLLMServer

from tests.ui_server import start_server

QUESTION = "Apa itu diplomasi siber?"
LLM_QUESTION = "Apa saja komponen persenjataan diplomasi siber?"
LLM_REPLY = (
    "Komponennya adalah pengembangan kapasitas siber, langkah-langkah membangun kepercayaan, "
    "dan penciptaan norma siber [1]."
)
API_KEY = "kunci-rahasia-uji-7f3a"
MARKER = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def fake_llm():
    with FakeLLMServer(LLM_REPLY) as fake:
        yield fake


@pytest.fixture(scope="module")
def api_server(indexed_settings, fake_llm):
    server = start_server(
        indexed_settings,
        ASSISTANT_LLMS='["openai:fake"]',
        ASSISTANT_OPENAI_BASE_URL=f"http://127.0.0.1:{fake_llm.port}/v1",
        ASSISTANT_OPENAI_API_KEY="for-the-fake",
    ).wait_ready()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def login_server(indexed_settings, tmp_path_factory):
    users = tmp_path_factory.mktemp("api-auth") / "users.txt"
    users.write_text("siti:kata-sandi-1\n", encoding="utf-8")
    server = start_server(indexed_settings, ASSISTANT_AUTH=str(users), ASSISTANT_API_KEY=API_KEY).wait_ready()
    yield server
    server.stop()


def openai_client(server, key: str = "unused"):
    from openai import OpenAI

    return OpenAI(base_url=server.url + "v1", api_key=key, max_retries=0, timeout=120)


def extra(obj) -> dict:
    """The fields an OpenAI object carries beyond OpenAI's own (the API's citations and answer)."""
    return obj.model_extra or {}


def check_cited_text(text: str, citations: list[dict]) -> None:
    """Markers in the text match the citations, and each is listed with its quote under Sources."""
    body, _, sources = text.partition("\n\n---\n")
    assert sorted({int(n) for n in MARKER.findall(body)}) == [c["n"] for c in citations]
    assert sources.startswith(("**Sumber:**", "**Sources:**")), sources
    for c in citations:
        assert c["quote"] and c["quote"] in c["text"]
        assert f"[{c['n']}] {c['title']} ({c['source']}" in sources
        assert f"“{c['quote']}”" in sources


def test_models_lists_one_id_per_collection_and_answerer(api_server):
    models = openai_client(api_server).models.list()
    ids = [m.id for m in models.data]
    assert ids == ["knowledge", "knowledge:openai:fake"]
    assert extra(models.data[1]) == {"collection": "knowledge", "answerer": "openai:fake"}
    assert openai_client(api_server).models.retrieve("knowledge:openai:fake").id == "knowledge:openai:fake"


def test_openai_client_gets_a_cited_answer_with_the_ask_json_citations(api_server, indexed_settings):
    from assistant.service import Assistant

    response = openai_client(api_server).chat.completions.create(
        model="knowledge", messages=[{"role": "user", "content": QUESTION}]
    )
    message = response.choices[0].message
    assert response.object == "chat.completion" and response.model == "knowledge"
    assert message.role == "assistant" and response.choices[0].finish_reason == "stop"
    fields = extra(response)
    check_cited_text(message.content, fields["citations"])
    expected = Assistant(indexed_settings).ask(QUESTION).to_json()
    assert fields["citations"] == expected["citations"]  # the same objects as `assistant ask --json`
    assert fields["answer"]["answer"] == expected["answer"] and message.content.startswith(expected["answer"])
    assert fields["answer"]["abstained"] is False and fields["answer"]["llm"] == "extractive"


def test_openai_client_streams_the_same_message(api_server):
    client = openai_client(api_server)
    whole = client.chat.completions.create(model="knowledge", messages=[{"role": "user", "content": QUESTION}])
    chunks = list(
        client.chat.completions.create(model="knowledge", stream=True, messages=[{"role": "user", "content": QUESTION}])
    )
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert extra(chunks[-1])["citations"] == extra(whole)["citations"]


def test_sse_wire_format_ends_with_done(api_server):
    body = {"model": "knowledge", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream("POST", api_server.url + "v1/chat/completions", json=body, timeout=120) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["choices"][0]["finish_reason"] == "stop"


def test_follow_up_is_read_against_the_earlier_messages(api_server):
    client = openai_client(api_server)
    first = client.chat.completions.create(model="knowledge", messages=[{"role": "user", "content": QUESTION}])
    follow_up = "Apa saja komponennya?"
    response = client.chat.completions.create(
        model="knowledge",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": follow_up},
        ],
    )
    answer = extra(response)["answer"]
    assert answer["question"] == follow_up
    assert QUESTION in answer["query"]  # resolved against the history, as in the web app's chat
    assert "---" not in answer["query"]
    alone = client.chat.completions.create(model="knowledge", messages=[{"role": "user", "content": follow_up}])
    assert extra(alone)["answer"]["query"] == follow_up


def test_abstention_lists_the_closest_passages(api_server):
    response = openai_client(api_server).chat.completions.create(
        model="knowledge", messages=[{"role": "user", "content": "Bagaimana resep rendang?"}]
    )
    text, fields = response.choices[0].message.content, extra(response)
    assert fields["answer"]["abstained"] is True and fields["citations"] == []
    assert "[1]" not in text and "**Bagian bacaan terdekat:**" in text
    assert fields["answer"]["passages"][0]["title"] in text


def test_llm_answerer_through_the_api_streams_its_checked_reply(api_server, fake_llm):
    fake_llm.reply = LLM_REPLY
    chunks = list(
        openai_client(api_server).chat.completions.create(
            model="knowledge:openai:fake", stream=True, messages=[{"role": "user", "content": LLM_QUESTION}]
        )
    )
    deltas = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(deltas) > 3  # the model's tokens, passed through as they came
    text, fields = "".join(deltas), extra(chunks[-1])
    assert text.startswith(LLM_REPLY) and fields["answer"]["llm"] == "openai:fake"
    check_cited_text(text, fields["citations"])
    assert fake_llm.requests[-1]["body"]["stream"] is True


def test_llm_failure_streams_the_extractive_answer_after_a_heading(api_server, fake_llm):
    fake_llm.reply = "Saya tidak yakin, tetapi mungkin tentang internet."  # cites nothing: falls back
    chunks = list(
        openai_client(api_server).chat.completions.create(
            model="knowledge:openai:fake", stream=True, messages=[{"role": "user", "content": LLM_QUESTION}]
        )
    )
    text, answer = "".join(c.choices[0].delta.content or "" for c in chunks), extra(chunks[-1])["answer"]
    assert answer["llm"] == "extractive" and any("LLM gagal" in n for n in answer["notes"])
    streamed, _, checked = text.partition("\n\n**Jawaban yang sudah diperiksa:**\n\n")
    assert streamed == fake_llm.reply and checked.startswith(answer["answer"])
    assert "_Catatan: LLM gagal" in checked


def test_langchain_chat_openai_invokes_and_streams(api_server, fake_llm):
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=api_server.url + "v1", api_key="unused", model="knowledge", max_retries=0, timeout=120)
    reply = chat.invoke(QUESTION)
    assert MARKER.search(reply.content) and "**Sumber:**" in reply.content
    streamed = "".join(chunk.content for chunk in chat.stream(QUESTION))
    assert streamed == reply.content
    fake_llm.reply = LLM_REPLY
    llm = ChatOpenAI(base_url=api_server.url + "v1", api_key="unused", model="knowledge:openai:fake", max_retries=0)
    pieces = [chunk.content for chunk in llm.stream(LLM_QUESTION)]
    assert len([p for p in pieces if p]) > 3 and "".join(pieces).startswith(LLM_REPLY)
    assert "**Sumber:**" in "".join(pieces)


def test_errors_have_openai_shape_and_status(api_server):
    import openai

    client = openai_client(api_server)
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="no-such-collection", messages=[{"role": "user", "content": QUESTION}])
    assert missing.value.code == "model_not_found" and "GET /v1/models" in missing.value.message
    with pytest.raises(openai.NotFoundError):  # an answerer the server does not offer
        client.chat.completions.create(model="knowledge:hf:smollm2", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user's question"):
        client.chat.completions.create(model="knowledge", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="messages"):
        client.chat.completions.create(model="knowledge", messages=[])
    with pytest.raises(openai.BadRequestError, match="only text content"):
        client.chat.completions.create(
            model="knowledge",
            messages=[
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}
            ],
        )
    broken = httpx.post(
        api_server.url + "v1/chat/completions",
        content=b"{not json",
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["error"]["type"] == "invalid_request_error"
    nowhere = httpx.get(api_server.url + "v1/embeddings", timeout=10)
    assert nowhere.status_code == 404 and set(nowhere.json()["error"]) == {"message", "type", "param", "code"}


def test_web_app_is_served_on_the_same_port(api_server):
    assert "gradio" in httpx.get(api_server.url, timeout=10).text.lower()
    assert httpx.get(api_server.url + "gradio_api/info", timeout=10).status_code == 200


def test_login_on_needs_the_bearer_key(login_server):
    import openai
    from langchain_openai import ChatOpenAI

    for key in ("unused", API_KEY[:-1]):
        with pytest.raises(openai.AuthenticationError) as refused:
            openai_client(login_server, key).models.list()
        assert refused.value.status_code == 401 and refused.value.code == "invalid_api_key"
        assert API_KEY not in str(refused.value)
    assert httpx.get(login_server.url + "v1/models", timeout=10).status_code == 401
    client = openai_client(login_server, API_KEY)
    assert [m.id for m in client.models.list().data] == ["knowledge"]
    response = client.chat.completions.create(model="knowledge", messages=[{"role": "user", "content": QUESTION}])
    check_cited_text(response.choices[0].message.content, extra(response)["citations"])
    chat = ChatOpenAI(base_url=login_server.url + "v1", api_key=API_KEY, model="knowledge", max_retries=0, timeout=120)
    streamed = "".join(chunk.content for chunk in chat.stream(QUESTION))
    assert streamed == response.choices[0].message.content
    # the web app keeps its own login; the key is never written to the server's output
    assert (
        httpx.post(login_server.url + "gradio_api/call/ask", json={"data": [QUESTION]}, timeout=10).status_code == 401
    )
    assert API_KEY not in login_server.output()


def test_login_without_a_key_refuses_every_request(make_settings):
    from fastapi.testclient import TestClient

    from assistant.api.openai import create_api
    from assistant.service import Assistant

    settings = make_settings(auth="siti:kata-sandi-1")
    with TestClient(create_api(Assistant(settings), settings)) as client:
        response = client.get("/models", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 401
    assert "ASSISTANT_API_KEY" in response.json()["error"]["message"]


def test_conversation_pairs_turns_and_drops_the_sources_block():
    from assistant.api.schemas import ChatMessage, RequestError, conversation

    def msgs(*pairs):
        return [ChatMessage(role=role, content=content) for role, content in pairs]

    question, history = conversation(
        msgs(
            ("system", "be nice"),
            ("user", "q1"),
            ("assistant", "a1 [1]\n\n---\n**Sources:**\n- [1] x"),
            ("user", "q2"),
            ("user", [{"type": "text", "text": "q3"}]),
        )
    )
    assert question == "q3" and history == [("q1", "a1 [1]"), ("q2", "")]
    with pytest.raises(RequestError, match="empty"):
        conversation(msgs(("user", "  ")))
