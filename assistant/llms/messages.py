"""Messages as plain ``(role, text)`` pairs, and their conversion to and from LangChain."""

from __future__ import annotations

from typing import Any

Messages = list[tuple[str, str]]  # (role, text) with role in system, user, assistant


def to_langchain(messages: Messages) -> list:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[role](content=text) for role, text in messages]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content or "")
