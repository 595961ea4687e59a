"""A small Indonesian–English glossary, searchable from either side.

A question asked in one language often misses a reading written in the other: BM25 shares no
words with it, and the 4-bit multilingual embedder links the two languages only loosely. The
glossary (``assistant/data/glossary-id-en.tsv``, one ``Indonesian<TAB>English`` pair a line,
several rows for synonyms) was written for this project from the vocabulary of the readings and
general academic usage; a reading folder may add its own ``glossary.tsv``. The query expansion
built on it is :mod:`assistant.retrieval.crosslingual`.

Matching is case-insensitive on whole words, longest phrase first: a term inside a longer
matched term is not used on its own. A span is matched by its exact words first and otherwise by
normalised words: Indonesian words through :func:`assistant.text.tokens.stem` ("memandang" finds
the "pandang" family), English words through Snowball's English stemmer (PyStemmer): "pillars",
"viewed" and "defines" find "pillar", "view" and "define". Hyphenated words are split
("multi-pemangku") and reduplications collapsed ("langkah-langkah" = "langkah").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from assistant.text.language import LANGUAGES
from assistant.text.tokens import WORD, stem, stop_words

GLOSSARY_FILE = "glossary-id-en.tsv"


def other_language(language: str) -> str:
    """The other served language: ``"en"`` for ``"id"`` and ``"id"`` for ``"en"``."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}: expected one of {LANGUAGES}")
    return "en" if language == "id" else "id"


def words(text: str) -> list[str]:
    """Lowercase words of ``text``: hyphenated words split, reduplications collapsed, "'s" dropped."""
    out: list[str] = []
    for token in WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        token = re.split(r"['\u2019]", token, maxsplit=1)[0] if ("'" in token or "\u2019" in token) else token
        parts = [p for p in token.split("-") if p]
        if len(parts) > 1 and len(set(parts)) == 1:  # negara-negara, langkah-langkah
            parts = parts[:1]
        out.extend(parts)
    return out


@lru_cache(maxsize=1)
def _english_stemmer() -> Any:
    import Stemmer  # PyStemmer: the Snowball algorithms in C

    return Stemmer.Stemmer("english")


def english_stem(word: str) -> str:
    """Snowball's English stem of one lowercase word ("pillars" → "pillar", "defines" → "defin")."""
    return str(_english_stemmer().stemWord(word))


_NORMALISERS: dict[str, Callable[[str], str]] = {"id": stem, "en": english_stem}


@dataclass
class _PhraseIndex:
    """The glossary terms of one language, by exact and by normalised word sequence."""

    normalise: Callable[[str], str]
    exact: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    normal: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    longest: int = 0

    def add(self, term: str, rendering: str) -> None:
        key = tuple(words(term))
        if not key:
            return
        for table, k in ((self.exact, key), (self.normal, tuple(self.normalise(w) for w in key))):
            targets = table.setdefault(k, [])
            if rendering not in targets:
                targets.append(rendering)
        self.longest = max(self.longest, len(key))


@dataclass(frozen=True)
class Match:
    """A glossary term found in a text: word span ``[start, end)``, the words, the renderings."""

    start: int
    end: int
    term: str
    renderings: tuple[str, ...]


class Glossary:
    """Indonesian–English term pairs, searchable from either side."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = list(pairs)
        self._index = {lang: _PhraseIndex(_NORMALISERS[lang]) for lang in LANGUAGES}
        for id_term, en_term in self.pairs:
            self._index["id"].add(id_term, en_term)
            self._index["en"].add(en_term, id_term)

    @classmethod
    def parse(cls, text: str) -> Glossary:
        """Read ``Indonesian<TAB>English`` lines; ``#`` comments and blank lines are skipped."""
        pairs = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = [f.strip() for f in line.split("\t")]
            if len(fields) != 2 or not all(fields):
                raise ValueError(f"glossary line {number}: expected 'Indonesian<TAB>English', got {line!r}")
            pairs.append((fields[0], fields[1]))
        return cls(pairs)

    def matches(self, text: str, language: str) -> list[Match]:
        """Glossary terms of ``language`` in ``text``, in text order.

        At each word the longest term starting there is taken (exact words before normalised
        ones at the same length); a term lying inside a longer one is dropped, while partly
        overlapping terms are both kept ("kerja sama keamanan" and "keamanan siber").
        """
        index = self._index[language]
        tokens = words(text)
        normal = [index.normalise(w) for w in tokens]
        found: list[Match] = []
        for i in range(len(tokens)):
            for length in range(min(index.longest, len(tokens) - i), 0, -1):
                span = tuple(tokens[i : i + length])
                targets = index.exact.get(span) or index.normal.get(tuple(normal[i : i + length]))
                if targets:
                    if not found or i + length > found[-1].end:  # not inside the previous match
                        found.append(Match(i, i + length, " ".join(span), tuple(targets)))
                    break
        return found

    def renderings(self, text: str, language: str) -> list[str]:
        """The other-language renderings of the terms in ``text`` (in order, without repeats).

        Renderings made only of stop words ("apa", "adalah" for "what is") are left out: they
        carry nothing for retrieval.
        """
        stops = stop_words()
        out: list[str] = []
        seen: set[str] = set()
        for match in self.matches(text, language):
            for target in match.renderings:
                key = target.lower()
                if key in seen or key == match.term or all(w in stops for w in words(target)):
                    continue
                seen.add(key)
                out.append(target)
        return out

    def render(self, text: str, language: str) -> str:
        """``text`` with each matched term replaced by its first rendering.

        A rough word-for-word rendering ("Menurut pandangan liberal, mengapa …" → "according to
        liberal view why …"): names and other words the glossary lacks stay as they are, except
        stop words of either language, which are dropped.
        """
        stops = stop_words()
        tokens = words(text)
        starts = {m.start: m for m in self.matches(text, language)}
        covered = {i for m in starts.values() for i in range(m.start, m.end)}
        out = []
        for i, token in enumerate(tokens):
            if i in starts:
                out.append(starts[i].renderings[0])
            elif i not in covered and token not in stops:
                out.append(token)
        return " ".join(out)


@lru_cache(maxsize=1)
def glossary() -> Glossary:
    """The packaged glossary (``assistant/data/glossary-id-en.tsv``), loaded once."""
    text = resources.files("assistant").joinpath("data", GLOSSARY_FILE).read_text(encoding="utf-8")
    return Glossary.parse(text)


COLLECTION_GLOSSARY = "glossary.tsv"  # a reading folder's own terms, added to the packaged ones


def parse_extra_terms(text: str, source: str = COLLECTION_GLOSSARY) -> list[tuple[str, str]]:
    """The ``Indonesian<TAB>English`` rows of a reading folder's glossary.

    Raises ``ValueError`` naming ``source`` and the line for a malformed row.
    """
    try:
        return Glossary.parse(text).pairs
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}; each line is 'Indonesian term<TAB>English term'") from exc


def with_extra_terms(text: str, source: str = COLLECTION_GLOSSARY) -> Glossary:
    """The packaged glossary plus the rows of ``text`` (see :func:`parse_extra_terms`)."""
    return Glossary([*glossary().pairs, *parse_extra_terms(text, source)])
