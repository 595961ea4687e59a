"""What the API sends back: OpenAI ``chat.completion`` objects and server-sent ``chat.completion.chunk``
events, with the citations twice: in the message text (the answer's ``[n]`` markers and a list of
sources, for clients that show only text) and as structured fields beside ``choices``.

The structured fields are ``citations`` (the ``ask --json`` citation objects) and ``answer`` (the
whole ``ask --json`` object: abstained, query, notes, passages, …), both from
:meth:`assistant.types.Answer.to_json`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from assistant.api.schemas import FOOTER_RULE
from assistant.types import Answer

SOURCES = {"id": "Sumber:", "en": "Sources:"}
CLOSEST = {"id": "Bagian bacaan terdekat:", "en": "Closest passages:"}
CHECKED = {"id": "Jawaban yang sudah diperiksa:", "en": "Checked answer:"}
NOTE = {"id": "Catatan", "en": "Note"}
CLOSEST_SHOWN = 3
EXCERPT_CHARS = 240


def _where(title: str, source: str, location: str) -> str:
    place = ", ".join(part for part in (source, location) if part)
    return f"{title} ({place})" if place else title


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def footer(answer: Answer) -> str:
    """The block after the answer text: its sources (or, for an abstention, the closest passages)
    and its notes, in Markdown, starting with :data:`FOOTER_RULE`; empty when there is nothing."""
    language = answer.language if answer.language in SOURCES else "en"
    lines: list[str] = []
    if answer.citations:
        lines.append(f"**{SOURCES[language]}**")
        lines += [f"- [{c.n}] {_where(c.title, c.source, c.location)}: “{c.quote}”" for c in answer.citations]
    elif answer.abstained and answer.passages:
        lines.append(f"**{CLOSEST[language]}**")
        lines += [
            f"- {_where(p.chunk.title, p.chunk.source, p.chunk.location)}: {_excerpt(p.chunk.text)}"
            for p in answer.passages[:CLOSEST_SHOWN]
        ]
    if answer.notes:
        lines.append("")
        lines += [f"_{NOTE[language]}: {note}_" for note in answer.notes]
    return FOOTER_RULE + "\n".join(lines) if lines else ""


def message_text(answer: Answer) -> str:
    """The assistant message a text-only client shows: the answer, then :func:`footer`."""
    return answer.text + footer(answer)


def structured(answer: Answer) -> dict[str, Any]:
    """The fields added beside ``choices``: ``citations`` and the whole ``ask --json`` ``answer``."""
    data = answer.to_json()
    return {"citations": data["citations"], "answer": data}


def completion(answer: Answer, model: str) -> dict[str, Any]:
    """A ``chat.completion`` object for a finished answer."""
    message = {"role": "assistant", "content": message_text(answer)}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
        **structured(answer),
    }


def sse(data: dict[str, Any] | str) -> str:
    """One server-sent event carrying ``data`` (JSON, or a literal such as ``[DONE]``)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n"


def error_object(message: str, status: int, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error body."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def completion_events(items: Iterator[str | Answer], model: str) -> Iterator[str]:
    """Server-sent events for one answer as :meth:`Assistant.stream` produces it.

    Text deltas go out as they come. The final :class:`Answer` is authoritative: when its text is
    not what was streamed (an LLM reply whose markers were renumbered, or the extractive answer
    after the LLM failed) the checked text follows under a heading. Then the sources block, a last
    chunk with ``finish_reason: "stop"`` and the structured fields, and ``data: [DONE]``. An error
    after the stream has started is sent as an OpenAI error event.
    """
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return sse({**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra})

    yield chunk({"role": "assistant", "content": ""})
    streamed, pending = "", None  # one delta held back: it may be the final answer's own text
    try:
        for item in items:
            if isinstance(item, str):
                if pending:
                    streamed += pending
                    yield chunk({"content": pending})
                pending = item
                continue
            tail = _tail(item, streamed, pending)
            if tail:
                yield chunk({"content": tail})
            yield chunk({}, "stop", **structured(item))
    except Exception as exc:  # noqa: BLE001 (headers are sent: the client learns of the failure in the stream)
        yield sse(error_object(f"{type(exc).__name__}: {exc}"[:500], 500))
    yield sse("[DONE]")


def _tail(answer: Answer, streamed: str, pending: str | None) -> str:
    """What follows the deltas already sent: the held-back delta, then (when the final answer is not
    what was streamed) the checked answer under a heading, then the sources block.

    The service streams an LLM's tokens and, when it falls back to the extractive answer or the
    model declines, that answer's text as one more delta: that delta goes under the heading."""
    heading = f"\n\n**{CHECKED.get(answer.language, CHECKED['en'])}**\n\n"
    if streamed.strip() and pending == answer.text:
        return heading + answer.text + footer(answer)
    pending = pending or ""
    full = streamed + pending
    if not full.strip():
        return answer.text + footer(answer)
    if full.strip() == answer.text.strip():
        return pending + footer(answer)
    return pending + heading + answer.text + footer(answer)
