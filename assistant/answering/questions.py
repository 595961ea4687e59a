"""Questions as users send them: cut to the configured length, with a note saying so.

Every interface (the web app, its named endpoints, the OpenAI-compatible API) takes questions from
people it does not control; they all cut them here, so the limit and its note are the same.
"""

from __future__ import annotations

CLIPPED = "Your question was longer than {limit} characters and was shortened. / Pertanyaan dipotong menjadi {limit} karakter."


def clip_question(text: str | None, limit: int) -> tuple[str, str | None]:
    """The question stripped and cut to ``limit`` characters, with a note when it was cut."""
    question = (text or "").strip()
    if len(question) <= limit:
        return question, None
    return question[:limit].rstrip(), CLIPPED.format(limit=limit)
