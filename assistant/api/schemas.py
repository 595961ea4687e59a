"""What an OpenAI-compatible client sends (``POST /v1/chat/completions``), and how a conversation
of OpenAI messages becomes the question and the earlier turns the assistant answers from."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The block the API appends to every answer text (sources, notes) starts with this Markdown rule;
# it is cut off again when the client sends the answer back as an earlier turn.
FOOTER_RULE = "\n\n---\n"


class RequestError(ValueError):
    """A request the API cannot answer; ``status`` and ``code`` follow OpenAI's error responses."""

    def __init__(self, message: str, status: int = 400, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.param = status, code, param


class ChatMessage(BaseModel):
    """One message of the conversation; ``content`` is a string or a list of content parts."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """The message's text; a part that is not text (an image, a file) is refused."""
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        texts = []
        for part in self.content:
            if part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise RequestError(f"only text content is supported, got a {part.get('type')!r} part", param="messages")
            texts.append(part["text"])
        return "\n".join(texts)


class ChatRequest(BaseModel):
    """The body of ``POST /v1/chat/completions``. Sampling options (temperature, max_tokens, …) are
    accepted and ignored: the answer comes from the readings, not from sampling."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    n: int | None = None


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the earlier turns as ``(question, answer)`` pairs.

    System, developer and tool messages are not part of the readings' conversation and are left
    out; the block of sources the API added to its own earlier answers is cut off again.

    Raises
    ------
    RequestError
        When the last message is not a user message with text.
    """
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise RequestError("the last message must be the user's question", param="messages")
    question = turns[-1].text().strip()
    if not question:
        raise RequestError("the question (the last user message) is empty", param="messages")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for message in turns[:-1]:
        if message.role == "user":
            if pending is not None:
                history.append((pending, ""))
            pending = message.text().strip()
        elif pending is not None:
            history.append((pending, message.text().split(FOOTER_RULE, 1)[0].strip()))
            pending = None
    if pending is not None:
        history.append((pending, ""))
    return question, history
