"""The Chat tab: streaming answers beside a sources panel.

Presentation only: answers come from ``Assistant.stream`` (through
:func:`assistant.ui.api.run_stream`); this module turns them into chat messages, and
:mod:`assistant.ui.html` into HTML.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from markupsafe import Markup, escape

from assistant.answering.questions import EMPTY, clip_question
from assistant.types import Answer
from assistant.ui.api import UserError, run_stream
from assistant.ui.context import ANSWER_QUEUE
from assistant.ui.html import EMPTY_SOURCES, SEARCHING, render_sources

EXAMPLES = [
    "Apa itu diplomasi siber?",
    "Bagaimana liberalisme memandang kerja sama siber?",
    "Apa peran BSSN dalam pengembangan kapasitas siber?",
    "What is the Budapest Convention?",
    "How do realists view cooperation in cyberspace?",
]


def answer_message(answer: Answer, note: str | None = None) -> str:
    """The assistant's chat message: the answer text (abstentions boxed) and any notes."""
    italic = Markup("_{}_")
    parts = [italic.format(note)] if note else []
    if answer.abstained:
        parts.append(Markup('<div class="abstention" data-abstained="true">⚠️ {}</div>').format(answer.text))
    else:
        parts.append(Markup('<div class="answer-text">{}</div>').format(answer.text))
    parts += [italic.format(n) for n in answer.notes]
    return Markup("\n\n").join(parts)


def respond(ctx, message: str, chat: list, turns: list, collection: str, llm: str, k: float):
    """One chat turn: yields (textbox, chat, turns, sources) as the answer streams."""
    question, note = clip_question(message, ctx.settings.max_question_chars)
    if not question:  # nothing to ask: say so, keep the conversation as it is
        gr.Warning(EMPTY)
        yield "", chat, turns, gr.skip()
        return
    # the question is shown as typed: as text, never as HTML (the chatbot renders Markdown and HTML)
    chat = [*chat, {"role": "user", "content": str(escape(question))}, {"role": "assistant", "content": "…"}]
    yield "", chat, turns, SEARCHING
    text = ""
    try:
        for item in run_stream(ctx.assistant, question, collection, llm, int(k), turns):
            if isinstance(item, str):
                text += item
                chat[-1] = {"role": "assistant", "content": escape(text)}
                yield gr.skip(), chat, turns, gr.skip()
            else:
                chat[-1] = {"role": "assistant", "content": answer_message(item, note)}
                yield gr.skip(), chat, [*turns, (question, item.text)], render_sources(item)
    except UserError as exc:
        chat[-1] = {"role": "assistant", "content": Markup("**Error:** {}").format(str(exc))}
        yield message, chat, turns, EMPTY_SOURCES


def pick_example(evt: gr.SelectData) -> str:
    value = evt.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


def build(ctx) -> None:
    """The Chat tab: conversation and question box on the left, sources on the right."""
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            chatbot = gr.Chatbot(
                label="Conversation",
                show_label=False,
                elem_id="chat",
                height=460,
                layout="bubble",
                examples=[{"text": q} for q in EXAMPLES],
                feedback_options=None,
                buttons=["copy_all"],
                placeholder="Ask about the readings, in Indonesian or English.",
            )
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    show_label=False,
                    placeholder="Tulis pertanyaan… / Type a question…",
                    elem_id="question",
                    scale=5,
                    min_width=200,
                    lines=1,
                    max_lines=6,
                )
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
        turn, inputs, outputs, **events
    )
    gr.on(
        [clear.click, chatbot.clear],
        lambda: ("", [], [], EMPTY_SOURCES),
        None,
        outputs,
        api_visibility="private",
        queue=False,
    )
