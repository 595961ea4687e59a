"""Questions as users send them, checked in one place before anything is retrieved.

Every interface (the command line, the web app and its named endpoints, the OpenAI-compatible API,
the evaluation runner through :class:`~assistant.service.Assistant`) takes questions, earlier turns
and ``k`` from people it does not control. They are checked here, so the rules and the messages are
the same everywhere:

- control characters (and lone surrogates, which cannot be encoded) are removed; emoji, right-to-left
  text and other scripts are kept as they are;
- an empty or whitespace-only question is refused (:class:`QuestionError`, a usage error);
- a question longer than the limit (``max_question_chars``) is cut, with a note saying so;
- earlier turns must be ``[question, answer]`` pairs of text; only the last :data:`MAX_TURNS` are
  kept and each text is cut (a long earlier turn would otherwise be embedded with the follow-up);
- ``k`` (passages given to the answerer) must be between 1 and :data:`MAX_K`; 0 or None mean the
  configured default.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from assistant.errors import AssistantError

CLIPPED = "Your question was longer than {limit} characters and was shortened. / Pertanyaan dipotong menjadi {limit} karakter."
EMPTY = "the question is empty: type a question about the readings / pertanyaan kosong: tulis pertanyaan tentang bacaan"
MAX_K = 50  # passages given to the answerer, at most
MAX_TURNS = 20  # earlier turns a follow-up is read against, at most (the last ones)
ANSWER_CHARS_PER_LIMIT = 4  # an earlier answer may be this many times the question limit


class QuestionError(AssistantError, ValueError):
    """A question, history or ``k`` that cannot be answered; the message says what to send instead."""


def strip_controls(text: str) -> str:
    """``text`` without control characters: tabs and line breaks become spaces, other controls
    (NUL, escape sequences, C1 controls) and lone surrogates are dropped. Format characters such as
    the zero-width joiner of emoji or the right-to-left mark are kept."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc":
            if ch in "\t\n\r\x0b\x0c\x85":
                kept.append(" ")
        elif category != "Cs":
            kept.append(ch)
    return "".join(kept)


def clip_question(text: str | None, limit: int) -> tuple[str, str | None]:
    """The question without control characters, stripped and cut to ``limit`` characters, with a
    note when it was cut (empty when nothing is left)."""
    question = strip_controls(str(text or "")).strip()
    if len(question) <= limit:
        return question, None
    return question[:limit].rstrip(), CLIPPED.format(limit=limit)


def check_question(text: Any, limit: int) -> tuple[str, str | None]:
    """:func:`clip_question`, refusing a question with nothing visible in it once cleaned.

    Raises
    ------
    QuestionError
        When the question is not text, or empty: only whitespace, control characters or invisible
        format characters (a zero-width space).
    """
    if text is not None and not isinstance(text, str):
        raise QuestionError(f"the question must be text, got {type(text).__name__}: send a string")
    question, note = clip_question(text, limit)
    if all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in question):  # nothing visible
        raise QuestionError(EMPTY)
    return question, note


def check_history(history: Any, limit: int) -> list[tuple[str, str]]:
    """Earlier turns as ``(question, answer)`` pairs of clean text: the last :data:`MAX_TURNS`, each
    question cut to ``limit`` characters and each answer to ``ANSWER_CHARS_PER_LIMIT * limit``.

    Raises
    ------
    QuestionError
        When ``history`` is not a list of ``[question, answer]`` pairs of text (the message names
        the first bad item).
    """
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise QuestionError(
            f"history must be a list of [question, answer] pairs, oldest first, got {type(history).__name__}"
        )
    pairs: list[tuple[str, str]] = []
    for i, turn in enumerate(history, 1):
        if not isinstance(turn, (list, tuple)) or len(turn) != 2:
            raise QuestionError(
                f"history item {i} must be a [question, answer] pair, got {_describe(turn)}: "
                "send earlier turns as [[question, answer], ...]"
            )
        if any(part is not None and not isinstance(part, str) for part in turn):
            raise QuestionError(f"history item {i}: the question and the answer must be text (or null)")
        pairs.append((turn[0] or "", turn[1] or ""))
    answer_limit = ANSWER_CHARS_PER_LIMIT * limit
    return [
        (clip_question(question, limit)[0], clip_question(answer, answer_limit)[0])
        for question, answer in pairs[-MAX_TURNS:]
    ]


def check_k(k: Any) -> int | None:
    """``k`` as an int between 1 and :data:`MAX_K`, or None (the default) for None or 0.

    Raises
    ------
    QuestionError
        For a negative, too large or non-integer ``k``.
    """
    if k is None or k == 0:
        return None
    if isinstance(k, bool) or not isinstance(k, (int, float)) or int(k) != k:
        raise QuestionError(f"k must be a whole number of passages between 1 and {MAX_K}, got {k!r}")
    if not 1 <= k <= MAX_K:
        raise QuestionError(f"k must be between 1 and {MAX_K} passages (0 for the default), got {int(k)}")
    return int(k)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'…' if len(text) > 40 else ''}"
