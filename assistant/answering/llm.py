"""The LLM answerer: stream a model's reply, then check it (see :mod:`assistant.answering.citations`).
A reply that declines becomes an abstention; one that cites nothing raises :class:`NoCitations`
so the caller falls back to the extractive answer."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.answering.abstention import abstention
from assistant.answering.citations import LLM_MARKER, _claims, check_reply
from assistant.answering.scoring import SentenceScorer
from assistant.types import Answer, Passage

FALLBACK_NOTE = {
    "id": "LLM gagal ({reason}); jawaban ekstraktif ditampilkan.",
    "en": "LLM failed ({reason}); extractive answer shown.",
}
DECLINE_PATTERNS = re.compile(
    r"(tidak (?:menjawab|menyebutkan|membahas|ada informasi|memuat)|tidak dapat (?:menjawab|ditemukan)"
    r"|do(?:es)? not (?:answer|mention|contain|say)|don't (?:answer|mention|contain|say)|cannot be answered"
    r"|no information)",
    re.I,
)


def declines(reply: str) -> bool:
    """True when a model's reply says the passages do not answer (and cites nothing)."""
    return bool(DECLINE_PATTERNS.search(reply)) and not LLM_MARKER.search(reply)


def stream_llm_answer(
    question: str, language: str, passages: list[Passage], scorer: SentenceScorer, deltas: Iterator[str]
) -> Iterator[str | Answer]:
    """Pass the model's deltas through, then yield the checked :class:`Answer` (raises when
    the model fails or cites nothing, so the caller can fall back)."""
    reply = []
    for delta in deltas:
        reply.append(delta)
        yield delta
    text = "".join(reply).strip()
    if declines(text):
        answer = abstention(question, language, passages)
        answer.notes.append("the model said the passages do not answer the question")
        yield answer
        return
    checked = check_reply(text, passages, scorer)
    if not checked.citations:
        raise NoCitations("the model cited no passage")
    if not _claims(checked.text):
        raise NoCitations("the model's reply has citation markers but no statement")
    yield Answer(
        text=checked.text,
        citations=checked.citations,
        language=language,
        passages=passages,
        notes=checked.notes,
        unsupported=checked.unsupported,
        question=question,
    )


class NoCitations(Exception):
    """An LLM reply without a usable citation."""
