"""The JSON the web app's named API endpoints return (``/ask``, ``/chat`` for ``gradio_client``),
and the answer stream both the endpoints and the Chat tab use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.answering.questions import QuestionError, check_history, check_question
from assistant.errors import AssistantError, LLMError, StoreError
from assistant.types import Answer
from assistant.ui.context import ANSWER_QUEUE, UIContext


class UserError(AssistantError):
    """A problem the user can fix (unknown collection or answerer); shown as a message."""


def run_stream(
    assistant,
    question: str,
    collection: str | None,
    llm: str | None,
    k: int | None,
    history: list[tuple[str, str]] | None,
) -> Iterator[str | Answer]:
    """``Assistant.stream`` with usage errors turned into :class:`UserError`; only the answerers the
    server offers (:func:`offered_llm`) are accepted."""
    llm = offered_llm(assistant, llm)
    try:
        yield from assistant.stream(
            question, collection=collection or None, llm=llm or None, k=int(k) if k else None, history=history or None
        )
    except (StoreError, LLMError, QuestionError) as exc:
        raise UserError(str(exc)) from None


def offered_llm(assistant, llm: str | None) -> str | None:
    """``llm`` when the server offers it (``Assistant.available_llms``), None (the default) when empty.

    A web request never names a model the server was not configured with: that would send the
    server's key to any ``openai:`` model, load ``hf:`` models or probe paths on request, or make
    the server connect to any ``ollama:`` host.

    Raises
    ------
    UserError
        For any other name.
    """
    if not llm:
        return None
    offered = assistant.available_llms()
    if llm not in offered:
        shown = llm if len(llm) <= 60 else llm[:57] + "..."
        raise UserError(f"the answerer {shown!r} is not offered by this server: choose one of {', '.join(offered)}")
    return llm


def answer_json(answer: Answer, note: str | None = None) -> dict[str, Any]:
    """The ``assistant ask --json`` object, with a note when the question was shortened."""
    data = answer.to_json()
    if note:
        data["notes"] = [note, *data["notes"]]
    return data


def stream_json(
    assistant, settings, message: str, collection: str, llm: str, k: int, history: list[tuple[str, str]] | None
) -> Iterator[dict[str, Any]]:
    """``{"partial": text so far}`` objects while the answer streams, then the answer object."""
    try:
        question, note = check_question(message, settings.max_question_chars)
    except QuestionError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    text = ""
    try:
        for item in run_stream(assistant, question, collection, llm, k, history):
            if isinstance(item, str):
                text += item
                yield {"partial": text}
            else:
                yield answer_json(item, note)
    except UserError as exc:
        raise gr.Error(str(exc), print_exception=False) from None


def ask_json(
    assistant, settings, question: str, collection: str, llm: str, k: int, history: list[tuple[str, str]] | None
) -> dict[str, Any]:
    """The final object of :func:`stream_json`."""
    final: dict[str, Any] = {}
    for item in stream_json(assistant, settings, question, collection, llm, k, history):
        final = item
    return final


def register_api(ctx: UIContext) -> None:
    """Named endpoints ``/ask`` and ``/chat`` (plain JSON in and out, for ``gradio_client``)."""
    settings, assistant = ctx.settings, ctx.assistant

    def ask(question: str, collection: str = "", llm: str = "", k: int = 0) -> dict:
        """Answer one question from the readings. Returns the `assistant ask --json` object.

        Empty collection/llm and k=0 mean the server's defaults."""
        return ask_json(assistant, settings, question, collection, llm, k, history=None)

    def chat(
        message: str, history: list[list[str]] | None = None, collection: str = "", llm: str = "", k: int = 0
    ) -> Iterator[dict]:
        """One chat turn. history: previous [question, answer] pairs, oldest first.

        Streams {"partial": text} objects, then the final answer object (as /ask)."""
        try:
            pairs = check_history(history, settings.max_question_chars)
        except QuestionError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        yield from stream_json(assistant, settings, message, collection, llm, k, history=pairs)

    gr.api(ask, api_name="ask", concurrency_id=ANSWER_QUEUE)
    gr.api(chat, api_name="chat", concurrency_id=ANSWER_QUEUE)
