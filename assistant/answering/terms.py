"""Question terms against a text or a collection: IDF weights, glossary alternatives, coverage."""

from __future__ import annotations

import math
from collections.abc import Container
from functools import lru_cache

from assistant.text.glossary import glossary
from assistant.text.tokens import content_tokens


class TermWeights:
    """Inverse document frequency of content tokens over a collection's chunks."""

    def __init__(self, texts: list[str]) -> None:
        df: dict[str, int] = {}
        for text in texts:
            for token in content_tokens(text):
                df[token] = df.get(token, 0) + 1
        self.n = max(1, len(texts))
        self.df = df

    @classmethod
    def from_counts(cls, n: int, df: dict[str, int]) -> TermWeights:
        """From counts computed at index time (:func:`assistant.index.lexical.save_term_counts`)."""
        weights = cls([])
        weights.n, weights.df = max(1, n), df
        return weights

    def weight(self, token: str) -> float:
        return math.log(1.0 + self.n / (1.0 + self.df.get(token, 0)))


Alternatives = tuple[tuple[frozenset[str], tuple[frozenset[str], ...]], ...]


@lru_cache(maxsize=1024)
def term_alternatives(question: str, terms=None) -> Alternatives:
    """The glossary terms of a question, as (their content tokens, each rendering's content
    tokens in the other language). Both languages are searched: questions mix them ("Apa
    definisi cyber diplomacy?"). ``terms`` is a collection's glossary (default: the packaged one)."""
    found = []
    for language in ("id", "en"):
        for match in (terms or glossary()).matches(question, language):
            own = frozenset(content_tokens(match.term))
            renderings = tuple(r for r in (frozenset(content_tokens(t)) for t in match.renderings) if r)
            if own and renderings:
                found.append((own, renderings))
    return tuple(found)


def covered(question_tokens: set[str], present: Container[str], alternatives: Alternatives = ()) -> set[str]:
    """The question tokens that ``present`` holds (a text's tokens, or a collection's vocabulary),
    directly or through a glossary rendering whose tokens it all holds."""
    found = {t for t in question_tokens if t in present}
    for own, renderings in alternatives:
        if not own <= found and any(all(t in present for t in r) for r in renderings):
            found |= own & question_tokens
    return found


def coverage(
    question_tokens: set[str],
    text_tokens: set[str],
    weights: TermWeights | None = None,
    alternatives: Alternatives = (),
) -> float:
    """Share (IDF-weighted when ``weights`` are given) of the question's content tokens found in the
    text, a token also counting as found when a glossary rendering of its term is there."""
    if not question_tokens:
        return 0.0
    w = weights.weight if weights else (lambda t: 1.0)
    total = sum(w(t) for t in question_tokens)
    return sum(w(t) for t in covered(question_tokens, text_tokens, alternatives)) / total
