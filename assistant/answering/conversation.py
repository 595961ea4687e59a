"""Follow-up questions: resolve a question against the previous turns before retrieval.

With an LLM configured, the follow-up is rewritten into a standalone question by the model;
otherwise (or when the model fails) a short or anaphoric follow-up is combined with the
previous resolved question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from assistant.config import Settings
from assistant.text.tokens import FRAME_WORDS, FUNCTION_WORDS, plain_words, stop_words
from assistant.types import Answer

ANAPHORA = frozenset(
    "itu ini tersebut mereka dia ia beliau begitu demikian sana situ "
    "it its they them their this that these those he she him her there one ones".split()
)
# A follow-up that continues the previous question ("Dan yang ketiga?", "What about ASEAN?").
CONTINUATION = re.compile(
    r"^\s*(dan|lalu|terus|kemudian|selain|also|and|so|then|what about|how about|bagaimana dengan)\b", re.I
)
# "Apa itu X?" asks what X is: its "itu" does not point back.
_WHAT_IS = re.compile(r"^\s*(apa(kah)?\s+(itu|yang dimaksud dengan)|siapa(kah)?\s+itu)\b", re.I)
# Words that say what kind of answer is wanted, not what the question is about ("Tahun berapa?").
ANSWER_TYPE_WORDS = frozenset(
    "tahun year years tanggal date contoh example examples alasan reason reasons jumlah number many much "
    "persen percent pertama kedua ketiga keempat terakhir first second third fourth last lagi lainnya lain "
    "other others more else again exactly persis persisnya detail details".split()
)
Rewriter = Callable[[str, list[tuple[str, str]]], str]


def _refers_back(word: str) -> bool:
    """An Indonesian word with the enclitic -nya ("komponennya"): it refers back to something."""
    return len(word) >= 6 and word.endswith("nya")


def topic_words(question: str) -> list[str]:
    """The words of ``question`` that name what it is about (no stop, framing or answer-type words)."""
    stops = stop_words()
    return [
        w
        for w in (w.lower() for w in plain_words(question))
        if w not in stops
        and w not in FRAME_WORDS
        and w not in FUNCTION_WORDS
        and w not in ANSWER_TYPE_WORDS
        and w not in ANAPHORA
        and not _refers_back(w)
        and len(w) > 1
    ]


def is_follow_up(question: str) -> bool:
    """True for a question that depends on the one before: it points back (pronouns, -nya),
    continues it ("and the third?", "bagaimana dengan ...?") or names no topic of its own
    ("Mengapa?", "Tahun berapa?"). A question that names its own topic ("Apa itu Konvensi
    Budapest?") stands alone, however short."""
    words = [w.lower() for w in plain_words(_WHAT_IS.sub(" ", question))]
    if not words:
        return False
    if CONTINUATION.search(question) or any(w in ANAPHORA or _refers_back(w) for w in words):
        return True
    return not topic_words(question)


def combine(question: str, previous: str) -> str:
    """The previous resolved question followed by the follow-up."""
    previous = previous.strip()
    if previous and previous[-1] not in "?.!":
        previous += "?"
    return f"{previous} {question.strip()}".strip()


def resolve_heuristic(question: str, history: list[tuple[str, str]]) -> str:
    """Resolve every turn in order (each follow-up joins the one before) and return the last."""
    resolved = ""
    for previous, _ in history:
        resolved = combine(previous, _first_question(resolved)) if resolved and is_follow_up(previous) else previous
    if resolved and is_follow_up(question):
        return combine(question, _first_question(resolved))
    return question


def _first_question(resolved: str) -> str:
    """The standalone part of a resolved question (chains do not grow without end)."""
    head = re.split(r"(?<=[?.!])\s+", resolved.strip(), maxsplit=1)[0]
    return head or resolved


def resolve_query(question: str, history: list[tuple[str, str]] | None, rewriter: Rewriter | None = None) -> str:
    """The retrieval query for ``question`` given the previous turns.

    Parameters
    ----------
    question : str
        The question as asked.
    history : list of (question, answer_text)
        Previous turns, oldest first.
    rewriter : callable, optional
        ``rewriter(question, history) -> str`` (an LLM); used for follow-ups, with the
        heuristic as the fallback when it fails or returns nothing usable.
    """
    history = history or []
    if not history or not is_follow_up(question):
        return question
    if rewriter is not None:
        try:
            rewritten = rewriter(question, history).strip().strip('"').splitlines()[0].strip()
        except Exception:
            rewritten = ""
        if 5 <= len(rewritten) <= 400:
            return rewritten
    return resolve_heuristic(question, history)


class Asker(Protocol):
    """What a conversation asks through (:class:`assistant.service.Assistant`)."""

    settings: Settings

    def ask(
        self,
        question: str,
        *,
        collection: str | None = None,
        llm: str | None = None,
        k: int | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> Answer: ...

    def stream(
        self,
        question: str,
        *,
        collection: str | None = None,
        llm: str | None = None,
        k: int | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> Iterator[str | Answer]: ...


@dataclass
class Conversation:
    """A conversation with the assistant: each question is asked with the turns before it."""

    assistant: Asker
    collection: str | None = None
    llm: str | None = None
    k: int | None = None
    history: list[tuple[str, str]] = field(default_factory=list)

    def ask(self, question: str):
        """Ask a question in context; returns the :class:`~assistant.types.Answer`."""
        answer = self.assistant.ask(
            question, collection=self.collection, llm=self.llm, k=self.k, history=list(self.history)
        )
        self.history.append((question, answer.text))
        return answer

    def stream(self, question: str):
        """Like :meth:`ask` but yields text deltas, then the Answer."""
        answer = None
        for item in self.assistant.stream(
            question, collection=self.collection, llm=self.llm, k=self.k, history=list(self.history)
        ):
            if not isinstance(item, str):
                answer = item
            yield item
        if answer is not None:
            self.history.append((question, answer.text))
