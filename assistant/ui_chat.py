"""The Chat tab: streaming answers beside a sources panel, plus the JSON used by the API.

Presentation only: answers come from ``Assistant.stream``; this module turns them into chat
messages and HTML (each citation's passage with its quoted sentence in a ``<mark>``).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.types import Answer, Passage

ANSWER_QUEUE = "answer"
EXAMPLES = [
    "Apa itu diplomasi siber?",
    "Bagaimana liberalisme memandang kerja sama siber?",
    "Apa peran BSSN dalam pengembangan kapasitas siber?",
    "What is the Budapest Convention?",
    "How do realists view cooperation in cyberspace?",
]
EMPTY_SOURCES = ('<div id="sources-panel" data-state="empty"><p class="notice">Sources appear here: '
                 'for every [n] in an answer, the reading, its location and the passage with the '
                 'quoted sentence highlighted.</p></div>')
SEARCHING = '<div id="sources-panel" data-state="searching"><p class="notice">Searching the readings…</p></div>'
CLIPPED = "Your question was longer than {limit} characters and was shortened. / Pertanyaan dipotong menjadi {limit} karakter."


class UserError(Exception):
    """A problem the user can fix (unknown collection or answerer); shown as a message."""


def clip_question(text: str | None, limit: int) -> tuple[str, str | None]:
    """The question cut to ``limit`` characters, with a note when it was cut."""
    question = (text or "").strip()
    if len(question) <= limit:
        return question, None
    return question[:limit].rstrip(), CLIPPED.format(limit=limit)


def run_stream(assistant, question: str, collection: str | None, llm: str | None, k: int | None,
               history: list[tuple[str, str]] | None) -> Iterator[str | Answer]:
    """``Assistant.stream`` with usage errors turned into :class:`UserError`."""
    from assistant.llms import LLMError
    from assistant.store import StoreError

    try:
        yield from assistant.stream(question, collection=collection or None, llm=llm or None,
                                    k=int(k) if k else None, history=history or None)
    except (StoreError, LLMError) as exc:
        raise UserError(str(exc)) from None


# ---------------------------------------------------------------- JSON (API endpoints)


def answer_json(answer: Answer, note: str | None = None) -> dict[str, Any]:
    """The ``assistant ask --json`` object, with a note when the question was shortened."""
    from assistant.cli_answer import answer_json as cli_json

    data = cli_json(answer)
    if note:
        data["notes"] = [note, *data["notes"]]
    return data


def stream_json(assistant, settings, message: str, collection: str, llm: str, k: int,
                history: list[tuple[str, str]] | None) -> Iterator[dict[str, Any]]:
    """``{"partial": text so far}`` objects while the answer streams, then the answer object."""
    question, note = clip_question(message, settings.max_question_chars)
    if not question:
        raise gr.Error("Empty question.")
    text = ""
    try:
        for item in run_stream(assistant, question, collection, llm, k, history):
            if isinstance(item, str):
                text += item
                yield {"partial": text}
            else:
                yield answer_json(item, note)
    except UserError as exc:
        raise gr.Error(str(exc)) from None


def ask_json(assistant, settings, question: str, collection: str, llm: str, k: int,
             history: list[tuple[str, str]] | None) -> dict[str, Any]:
    """The final object of :func:`stream_json`."""
    final: dict[str, Any] = {}
    for final in stream_json(assistant, settings, question, collection, llm, k, history):
        pass
    return final


# ---------------------------------------------------------------- HTML rendering


def highlight(text: str, quote: str) -> str:
    """``text`` as HTML with the first occurrence of ``quote`` in ``<mark class="quote">``."""
    at = text.find(quote) if quote else -1
    if at < 0:
        return html.escape(text)
    end = at + len(quote)
    return f'{html.escape(text[:at])}<mark class="quote">{html.escape(quote)}</mark>{html.escape(text[end:])}'


def source_card(n: int | None, title: str, source: str, location: str, body_html: str) -> str:
    label = f'<span class="source-n">[{n}]</span> ' if n is not None else ""
    where = " · ".join(html.escape(part) for part in (source, location) if part)
    anchor = f' id="source-{n}" data-n="{n}"' if n is not None else ""
    return (f'<li class="source"{anchor}><div class="source-head">{label}<strong>{html.escape(title)}</strong></div>'
            f'<div class="source-meta">{where}</div><blockquote class="source-text">{body_html}</blockquote></li>')


def passage_card(passage: Passage) -> str:
    chunk = passage.chunk
    return source_card(None, chunk.title, chunk.source, chunk.location, html.escape(chunk.text))


def render_sources(answer: Answer) -> str:
    """The sources panel for one answer; an abstention lists the closest passages instead."""
    if answer.abstained:
        cards = "".join(passage_card(p) for p in answer.passages)
        return (f'<div id="sources-panel" data-state="abstained"><div class="abstention">'
                f'<strong>No answer in the readings.</strong> Tidak ada jawaban dalam bacaan. '
                f'Closest passages / bagian terdekat:</div><ol class="sources closest">{cards}</ol></div>')
    cards = "".join(source_card(c.n, c.title, c.source, c.location, highlight(c.text, c.quote))
                    for c in answer.citations)
    if not cards:
        cards = "".join(passage_card(p) for p in answer.passages)
    return f'<div id="sources-panel" data-state="answered"><ol class="sources">{cards}</ol></div>'


def answer_message(answer: Answer, note: str | None = None) -> str:
    """The assistant's chat message: the answer text (abstentions boxed) and any notes."""
    parts = [f"_{html.escape(note)}_"] if note else []
    text = html.escape(answer.text)
    if answer.abstained:
        parts.append(f'<div class="abstention" data-abstained="true">⚠️ {text}</div>')
    else:
        parts.append(f'<div class="answer-text">{text}</div>')
    parts += [f"_{html.escape(n)}_" for n in answer.notes]
    return "\n\n".join(parts)


# ---------------------------------------------------------------- the tab


def respond(ctx, message: str, chat: list, turns: list, collection: str, llm: str, k: float):
    """One chat turn: yields (textbox, chat, turns, sources) as the answer streams."""
    question, note = clip_question(message, ctx.settings.max_question_chars)
    if not question:
        yield "", chat, turns, gr.skip()
        return
    chat = [*chat, {"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
    yield "", chat, turns, SEARCHING
    text = ""
    try:
        for item in run_stream(ctx.assistant, question, collection, llm, int(k), turns):
            if isinstance(item, str):
                text += item
                chat[-1] = {"role": "assistant", "content": html.escape(text)}
                yield gr.skip(), chat, turns, gr.skip()
            else:
                chat[-1] = {"role": "assistant", "content": answer_message(item, note)}
                yield gr.skip(), chat, [*turns, (question, item.text)], render_sources(item)
    except UserError as exc:
        chat[-1] = {"role": "assistant", "content": f"**Error:** {html.escape(str(exc))}"}
        yield message, chat, turns, EMPTY_SOURCES


def pick_example(evt: gr.SelectData) -> str:
    value = evt.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


def build(ctx) -> None:
    """The Chat tab: conversation and question box on the left, sources on the right."""
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(label="Conversation", show_label=False, elem_id="chat", height=460, layout="bubble",
                                 examples=[{"text": q} for q in EXAMPLES], feedback_options=None, buttons=["copy_all"],
                                 placeholder="Ask about the readings, in Indonesian or English.")
            with gr.Row(equal_height=True):
                question = gr.Textbox(show_label=False, placeholder="Tulis pertanyaan… / Type a question…",
                                      elem_id="question", scale=5, min_width=200, lines=1, max_lines=6)
                send = gr.Button("Ask", variant="primary", elem_id="send", scale=1, min_width=80)
            clear = gr.Button("Clear conversation", variant="secondary", size="sm", elem_id="clear")
        with gr.Column(scale=2, min_width=300):
            gr.Markdown("### Sources")
            sources = gr.HTML(EMPTY_SOURCES, elem_id="sources", padding=False)
    inputs = [question, chatbot, turns, ctx.collection, ctx.llm, ctx.k]
    outputs = [question, chatbot, turns, sources]
    events: dict[str, Any] = dict(api_visibility="private", concurrency_id=ANSWER_QUEUE, show_progress="minimal")

    def turn(message, chat, history, collection, llm, k):
        yield from respond(ctx, message, chat, history, collection, llm, k)

    gr.on([question.submit, send.click], turn, inputs, outputs, **events)
    chatbot.example_select(pick_example, None, question, api_visibility="private", queue=False).then(
        turn, inputs, outputs, **events)
    gr.on([clear.click, chatbot.clear], lambda: ("", [], [], EMPTY_SOURCES), None, outputs,
          api_visibility="private", queue=False)
