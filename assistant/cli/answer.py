"""``assistant ask`` and ``assistant chat``: cited answers on the command line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from assistant.cli.common import (
    CollectionOpt,
    JsonOpt,
    KOpt,
    LlmOpt,
    UsageError,
    emit_json,
    err,
    handle_errors,
    out,
    settings_from,
)


def _assistant(llm: str | None):
    from assistant.errors import LLMError
    from assistant.llms.registry import check_name
    from assistant.service import Assistant

    settings = settings_from()
    try:
        check_name(llm or settings.llm)
    except LLMError as exc:
        raise UsageError(str(exc)) from None
    return Assistant(settings)


def print_answer(answer) -> None:
    """Answer text, then its citations (or, on abstention, the closest passages) and notes."""
    out.print(answer.text, markup=False, highlight=False)  # reading text is never Rich markup
    for c in answer.citations:
        where = f" ({c.location})" if c.location else ""
        out.print(f"  \\[{c.n}] {escape(c.title + where)}: [dim]{escape(c.quote[:200])}[/]", highlight=False)
    if answer.abstained:
        for p in answer.passages[:3]:
            out.print(f"  - {escape(p.chunk.title)}: [dim]{escape(p.chunk.text[:160])}[/]", highlight=False)
    for note in answer.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def ask(
    question: Annotated[str, typer.Argument(help="The question, in Indonesian or English.")],
    collection: CollectionOpt = None,
    llm: LlmOpt = None,
    k: KOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One answer with citations, or an honest 'the readings don't answer this'."""
    from assistant.errors import LLMError

    with handle_errors():
        assistant = _assistant(llm)
        try:
            answer = assistant.ask(question, collection=collection, llm=llm, k=k)
        except LLMError as exc:
            raise UsageError(str(exc)) from None
    if as_json:
        emit_json(answer.to_json())
    else:
        print_answer(answer)


def chat(
    collection: CollectionOpt = None,
    llm: LlmOpt = None,
    k: KOpt = None,
) -> None:
    """A terminal conversation: follow-up questions are read in context. Empty line or 'exit' ends it."""
    from assistant.answering.conversation import Conversation
    from assistant.answering.questions import QuestionError
    from assistant.types import Answer

    with handle_errors():
        conversation = Conversation(_assistant(llm), collection, llm, k)
        streaming = (llm or conversation.assistant.settings.llm) != "extractive"
        err.print("Ask about the readings (empty line or 'exit' to quit).")
        for question in _questions():
            try:
                for item in conversation.stream(question):
                    if isinstance(item, Answer):
                        if streaming:
                            out.print("\n[bold]checked answer:[/]")
                        print_answer(item)
                    elif streaming:
                        out.print(item, end="", markup=False, highlight=False)
            except QuestionError as exc:  # one bad line does not end the conversation
                err.print("[bold red]error:[/]", escape(str(exc)), soft_wrap=True)


def _questions():
    """Questions typed by the user (or piped in), until an empty line, 'exit' or end of input."""
    while True:
        try:
            line = input("> ") if sys.stdin.isatty() else sys.stdin.readline()
        except EOFError:
            return
        question = line.strip()
        if not question or question.lower() in ("exit", "quit", "keluar"):
            return
        yield question


def register(app: typer.Typer) -> None:
    """Add ``ask`` and ``chat`` to the ``assistant`` command line."""
    app.command()(ask)
    app.command()(chat)
