"""Citations: building them from passage sentences, and checking an LLM's reply against the
passages it was given (markers renumbered, each citation's quote the best supporting sentence,
unsupported claims listed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.answering.scoring import Sentence, SentenceScorer
from assistant.answering.terms import coverage
from assistant.text.sentences import sentence_spans
from assistant.text.tokens import content_tokens
from assistant.types import Citation, Passage

MARKER = re.compile(r"\[(\d+)\]")
LLM_MARKER = re.compile(r"\[\s*(?:(?:passage|bacaan|teks|source|sumber)\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.I)


def make_citation(n: int, passage: Passage, start: int, end: int, supported: bool = True) -> Citation:
    chunk = passage.chunk
    return Citation(
        n=n,
        chunk_id=chunk.id,
        source=chunk.source,
        title=chunk.title,
        location=chunk.location,
        text=chunk.text,
        quote=chunk.text[start:end],
        start=chunk.start,
        end=chunk.end,
        supported=supported,
    )


@dataclass
class CheckedReply:
    """An LLM reply after citation checking."""

    text: str
    citations: list[Citation]
    unsupported: list[str]
    notes: list[str]


def _renumber(text: str, count: int) -> tuple[str, list[int], list[str]]:
    """Normalise markers to ``[n]``, drop those outside 1..count, renumber by first use.

    Returns the new text, the passage index (0-based) of each new number, and notes.
    """
    order: list[int] = []
    dropped: list[str] = []

    def replace(match: re.Match) -> str:
        out = []
        for raw in re.split(r"\s*[,;]\s*", match.group(1)):
            n = int(raw)
            if not 1 <= n <= count:
                dropped.append(raw)
                continue
            if n - 1 not in order:
                order.append(n - 1)
            out.append(f"[{order.index(n - 1) + 1}]")
        return "".join(out)

    new = LLM_MARKER.sub(replace, text)
    new = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", new)).strip()
    notes = (
        [f"dropped citation(s) to passages that do not exist: {', '.join(f'[{d}]' for d in dropped)}"]
        if dropped
        else []
    )
    return new, order, notes


def _claims(text: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with the citation numbers they carry."""
    claims = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        claims.append((MARKER.sub("", sentence).strip(), [int(n) for n in MARKER.findall(sentence)]))
    return [(c, ns) for c, ns in claims if len(c) > 3]


def check_reply(reply: str, passages: list[Passage], scorer: SentenceScorer, support: float = 0.88) -> CheckedReply:
    """Check an LLM reply against the passages it was given.

    Parameters
    ----------
    reply : str
        The model's text with ``[n]`` markers numbering ``passages`` from 1.
    passages : list of Passage
        The passages in the order shown to the model.
    scorer : SentenceScorer
        Embeds claims and passage sentences.
    support : float
        Support score (cosine of claim and passage sentence plus 0.1 x lexical coverage) below
        which a claim counts as unsupported. 0.88 separates off-topic claims (about 0.85 and
        below) from paraphrases of a passage (0.91 and above) on the default collection.
    """
    text, order, notes = _renumber(reply, len(passages))
    claims = _claims(text)
    claim_vecs = scorer.embedder.embed_queries([c for c, _ in claims]) if claims else np.zeros((0, 1))
    sentences = scorer.sentences("", passages, np.zeros(scorer.embedder.dim, dtype=np.float32)) if passages else []
    citations, unsupported = [], []
    for new_n, index in enumerate(order, 1):
        own = [s for s in sentences if s.passage is passages[index]]
        users = [i for i, (_, ns) in enumerate(claims) if new_n in ns] or list(range(len(claims)))
        best = _best_support(own, [claims[i][0] for i in users], claim_vecs[users] if len(users) else None)
        start, end = (best.start, best.end) if best else (0, len(passages[index].chunk.text))
        score = _support_score(best, claims, claim_vecs, users) if best else 0.0
        citations.append(make_citation(new_n, passages[index], start, end, supported=score >= support))
    for (claim, _), vec in zip(claims, claim_vecs):
        closest = max(
            (
                float(np.dot(vec, s.embedded)) + 0.1 * coverage(content_tokens(claim), content_tokens(s.text))
                for s in sentences
            ),
            default=0.0,
        )
        if closest < support:
            unsupported.append(claim)
    if unsupported:
        notes.append(f"{len(unsupported)} sentence(s) of the answer are not supported by any passage")
    return CheckedReply(text, citations, unsupported, notes)


def _best_support(own: list[Sentence], claims: list[str], vecs: np.ndarray | None) -> Sentence | None:
    if not own:
        return None
    if vecs is None or not len(vecs):
        return own[0]
    tokens = set().union(*(content_tokens(c) for c in claims)) if claims else set()
    return max(own, key=lambda s: float(np.max(vecs @ s.vector)) + 0.1 * coverage(tokens, content_tokens(s.text)))


def _support_score(best: Sentence, claims, claim_vecs, users: list[int]) -> float:
    if not users:
        return 0.0
    return float(np.max(claim_vecs[users] @ best.vector)) + 0.1 * max(
        coverage(content_tokens(claims[i][0]), content_tokens(best.text)) for i in users
    )
