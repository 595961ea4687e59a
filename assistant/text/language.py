"""Offline language detection limited to the languages the assistant serves (id, en)."""

from __future__ import annotations

from functools import lru_cache

from assistant.text.tokens import plain_words

LANGUAGES = ("id", "en")  # the languages the assistant serves (questions, readings, sets)

_ID_HINTS = {
    "apa",
    "apakah",
    "bagaimana",
    "mengapa",
    "kenapa",
    "siapa",
    "kapan",
    "dimana",
    "di",
    "yang",
    "dan",
    "dari",
    "untuk",
    "dengan",
    "ini",
    "itu",
    "adalah",
    "saja",
    "tidak",
    "dalam",
    "menurut",
}
_EN_HINTS = {
    "what",
    "how",
    "why",
    "who",
    "when",
    "where",
    "which",
    "the",
    "is",
    "are",
    "of",
    "and",
    "does",
    "do",
    "to",
    "in",
    "according",
    "explain",
    "define",
}


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.INDONESIAN, Language.ENGLISH).build()


def detect_language(text: str, default: str = "id") -> str:
    """Return ``"id"`` or ``"en"`` for ``text``.

    Short questions are where statistical detectors stumble ("Apa definisi cyber diplomacy?"
    reads as English to lingua), so a few unambiguous function words decide first when only
    one language's appear (or one side has two more); lingua (restricted to Indonesian and
    English) decides the rest.
    """
    words = plain_words(text.lower())
    if not words:
        return default
    id_hits = sum(w in _ID_HINTS for w in words)
    en_hits = sum(w in _EN_HINTS for w in words)
    if id_hits != en_hits and (max(id_hits, en_hits) >= 2 or min(id_hits, en_hits) == 0):
        return "id" if id_hits > en_hits else "en"
    from lingua import Language

    found = _detector().detect_language_of(text)
    if found is None:
        return default
    return "en" if found == Language.ENGLISH else "id"
