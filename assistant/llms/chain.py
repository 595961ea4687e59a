"""The LLM steps as LangChain chains: ``ChatPromptTemplate | chat model | StrOutputParser``.

The templates are the plain ones of :mod:`assistant.answering.prompts` (the core knows nothing of
LangChain); here they become ``ChatPromptTemplate`` objects, so the chain is a Runnable like any
other (``.invoke``, ``.stream``, ``.with_config``, callbacks, tracing).

Why the extractive fallback is not ``.with_fallbacks``: a LangChain fallback replaces a runnable
that *raises*; ours must also replace a reply that streamed completely but cites no passage, or one
that timed out after its first tokens reached the user. That decision is made after the stream,
on the checked :class:`~assistant.types.Answer` (see ``Assistant._llm_answer``), and its result is
an Answer object, not a chat message, so it stays outside the chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from assistant.answering.prompts import ANSWER_TEMPLATE, REWRITE_TEMPLATE
from assistant.config import Settings
from assistant.deadline import with_deadline
from assistant.llms.registry import chat_model

ROLES = {"system": "system", "user": "human", "assistant": "ai"}


@lru_cache(maxsize=4)
def prompt(kind: str):
    """The ``ChatPromptTemplate`` of ``"answer"`` or ``"rewrite"``."""
    from langchain_core.prompts import ChatPromptTemplate

    template = {"answer": ANSWER_TEMPLATE, "rewrite": REWRITE_TEMPLATE}[kind]
    return ChatPromptTemplate.from_messages([(ROLES[role], text) for role, text in template])


def chain(kind: str, name: str, settings: Settings):
    """``prompt(kind) | chat_model(name) | StrOutputParser()``."""
    from langchain_core.output_parsers import StrOutputParser

    return prompt(kind) | chat_model(name, settings) | StrOutputParser()


def stream_chain(
    kind: str, name: str, settings: Settings, variables: dict[str, Any], timeout: float | None = None
) -> Iterator[str]:
    """Text deltas of the chain's reply; ``TimeoutError`` after ``timeout`` (default
    ``settings.llm_timeout``), also while the stream is stuck."""
    deltas = (text for text in chain(kind, name, settings).stream(variables) if text)
    return with_deadline(deltas, settings.llm_timeout if timeout is None else timeout)


def invoke_chain(kind: str, name: str, settings: Settings, variables: dict[str, Any]) -> str:
    """The chain's whole reply."""
    return "".join(stream_chain(kind, name, settings, variables))
