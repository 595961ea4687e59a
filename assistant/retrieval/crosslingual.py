"""Cross-lingual query expansion: a question's glossary terms, and a rough word-for-word rendering,
in the other language (see :mod:`assistant.text.glossary` for the glossary and its matching).

The retriever adds the terms to the BM25 query and embeds the rendering as a second query vector
(:meth:`assistant.retrieval.retriever.Retriever.expansion`).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.text.glossary import Glossary, glossary, other_language


def render_query(text: str, language: str, terms: Glossary | None = None) -> str:
    """A rough word-for-word rendering of ``text`` in the other language (see :meth:`Glossary.render`)."""
    other_language(language)  # validates
    return (terms or glossary()).render(text, language)


def translate_query(text: str, language: str, terms: Glossary | None = None) -> str:
    """The other-language renderings of the glossary terms found in ``text``, or ``""``.

    ``language`` is the language of ``text`` (``"id"`` or ``"en"``); the result is a
    comma-separated list of terms in the other language, e.g. ``translate_query("What is soft
    power?", "en")`` → ``"kekuatan lunak"``. ``terms`` is a collection's glossary (default: the
    packaged one).
    """
    other_language(language)  # validates
    return ", ".join((terms or glossary()).renderings(text, language))


@dataclass(frozen=True)
class Expansion:
    """A question's glossary terms and rough rendering in the other language of the collection."""

    language: str  # of the question
    target: str  # the other language, which some chunks are in
    terms: str  # translate_query(): the other-language renderings of the glossary terms
    rendering: str  # render_query(): the question word for word in the other language
