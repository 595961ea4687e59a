"""Answerers: extractive (default, offline) and LLM, with citation checking and abstention.

The extractive answerer quotes the retrieved sentences that best answer the question
(embedding similarity plus lexical overlap, with a diversity penalty) under a short lead-in
in the question's language. The LLM answerer streams a model's reply, then checks it: markers
to passages that do not exist are dropped, each citation gets the passage sentence that best
supports the claims citing it as its quote, and unsupported sentences are listed. A reply
that fails, times out or cites nothing falls back to the extractive answer, with a note.

Whether to answer at all is decided before either answerer runs, from calibrated retrieval
and sentence-support signals (:func:`answerable_probability`; see docs/benchmarks.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from assistant.chunking import paragraph_spans, sentence_spans
from assistant.embeddings import Embedder, VectorCache, embed_passages_cached, embed_query
from assistant.language import detect_language
from assistant.retrieve import refers_to_source
from assistant.types import Answer, Citation, Passage

# Words that frame a question without saying what it is about.
FRAME_WORDS = frozenset(
    "apa apakah bagaimana mengapa kenapa siapa kapan mana dimana berapa jelaskan sebutkan menurut bacaan "
    "teks esai tulisan maksud arti pengertian disebut saja "
    "what which who whom whose when where why how explain describe define according reading readings "
    "text essay mean meaning say says said".split()
)
NUMBER_QUESTION = re.compile(
    r"\b(berapa(kah)?(?! lama)|how (many|much)|what (percentage|share|proportion|number)|jumlah|persentase)\b", re.I)
DATE_QUESTION = re.compile(r"^\s*(kapan(kah)?|when)\b|\b(tahun berapa|what year|which year|in what year|sejak kapan)\b", re.I)
# What answers "how many / how much": a figure that is not a year or part of an identifier such as
# "53/2017" or "Nomor 53", or a number word ("one"/"satu" left out: mostly "the one", "salah satu").
AMOUNT = re.compile(
    r"(?<![\d/.,])(?<!nomor )(?<!no\. )(?<!number )(?<!pasal )(?<!article )(?<!resolusi )(?<!resolution )"
    r"(?<!keputusan )(?<!decision )(?!(?:19|20)\d\d(?![\d%]))\d+(?:[.,]\d+)*(?![\d/])\s*(%|persen|percent)?"
    r"|\b(dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|belas|puluh|ratus|ribu|juta|"
    r"miliar|triliun|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred|thousand|"
    r"million|billion|trillion)\b", re.I)
DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|"
    r"november|desember|january|february|march|may|june|july|august|october|december)\b", re.I)
DEFINITION_QUESTION = re.compile(
    r"^\s*(apa\s+(itu|yang\s+dimaksud)|apakah\s+(itu|yang\s+dimaksud)|what\s+(is|are)\b|define\b)"
    r"|\b(pengertian|definisi|definition|defined|didefinisikan)\b", re.I
)
DEFINITION_CUE = re.compile(
    r"\b(adalah|ialah|merupakan|didefinisikan|digambarkan sebagai|dipahami sebagai|diartikan|"
    r"is defined as|refers to|means|is the)\b", re.I
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
ASKS_ABOUT_A_HEADING = re.compile(r"\b(heading|headings|section title|judul bagian|subjudul|judul)\b", re.I)
ASKS_ABOUT_A_QUESTION = re.compile(r"\b(question|questions|asks?|pertanyaan|bertanya|tanyakan|ditanyakan)\b", re.I)
MARKER = re.compile(r"\[(\d+)\]")
LLM_MARKER = re.compile(r"\[\s*(?:(?:passage|bacaan|teks|source|sumber)\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.I)

LEAD_IN = {
    ("id", "id"): "Menurut bacaan:",
    ("en", "en"): "According to the readings:",
    ("en", "id"): "According to the readings (quoted in the original Indonesian):",
    ("id", "en"): "Menurut bacaan (dikutip dalam bahasa Inggris aslinya):",
}
ABSTAIN = {
    "id": "Bacaan yang tersedia tidak menjawab pertanyaan ini. Bagian bacaan yang paling dekat "
          "tercantum di bawah ini agar Anda dapat memeriksanya sendiri.",
    "en": "The readings don't answer this question. The closest passages are listed below "
          "so you can check for yourself.",
}
ABSTAIN_SOURCE = {
    "id": "Teks sumber tidak menjawab pertanyaan ini. Bagian yang paling dekat, termasuk dari bacaan lain, "
          "tercantum di bawah ini agar Anda dapat memeriksanya sendiri.",
    "en": "The source text doesn't answer this question. The closest passages, including any from the other "
          "readings, are listed below so you can check for yourself.",
}
FALLBACK_NOTE = {
    "id": "LLM gagal ({reason}); jawaban ekstraktif ditampilkan.",
    "en": "LLM failed ({reason}); extractive answer shown.",
}


FUNCTION_WORDS = frozenset(
    "yang dan di ke dari untuk dengan pada dalam oleh atau ini itu adalah ialah merupakan sebagai juga "
    "tidak akan telah sudah bisa dapat ada para suatu sebuah se nya pun lah kah tersebut mereka kita kami "
    "the a an of to in on at by for with from and or is are was were be been being as that this these "
    "those it its do does did has have had can could should would will not no into about".split()
)
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def content_tokens(text: str) -> set[str]:
    """Stemmed content words of ``text``: no function words and no question-framing words."""
    from assistant.lexical import stem

    words = (w.lower() for w in _TOKEN.findall(text))
    return {stem(w) for w in words if w not in FUNCTION_WORDS and w not in FRAME_WORDS and len(w) > 1}


class TermWeights:
    """Inverse document frequency of content tokens over a collection's chunks."""

    def __init__(self, texts: list[str]) -> None:
        df: dict[str, int] = {}
        for text in texts:
            for token in content_tokens(text):
                df[token] = df.get(token, 0) + 1
        self.n = max(1, len(texts))
        self.df = df

    def weight(self, token: str) -> float:
        return math.log(1.0 + self.n / (1.0 + self.df.get(token, 0)))


Alternatives = tuple[tuple[frozenset[str], tuple[frozenset[str], ...]], ...]


@lru_cache(maxsize=1024)
def term_alternatives(question: str, terms=None) -> Alternatives:
    """The glossary terms of a question, as (their content tokens, each rendering's content
    tokens in the other language). Both languages are searched: questions mix them ("Apa
    definisi cyber diplomacy?"). ``terms`` is a collection's glossary (default: the packaged one)."""
    from assistant.crosslingual import glossary

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


def coverage(question_tokens: set[str], text_tokens: set[str], weights: TermWeights | None = None,
             alternatives: Alternatives = ()) -> float:
    """Share (IDF-weighted when ``weights`` are given) of the question's content tokens found in the
    text, a token also counting as found when a glossary rendering of its term is there."""
    if not question_tokens:
        return 0.0
    w = weights.weight if weights else (lambda t: 1.0)
    total = sum(w(t) for t in question_tokens)
    return sum(w(t) for t in covered(question_tokens, text_tokens, alternatives)) / total


def is_heading(line: str) -> bool:
    """A short line without final punctuation."""
    return not re.search(r"[.!?…:;)\"”]$", line) and len(line) < 100


def chunk_sentences(text: str, min_chars: int = 25, headings: bool = False) -> list[tuple[int, int]]:
    """Sentence spans in a chunk's text, skipping fragments and (unless ``headings``) headings."""
    spans = []
    for p_start, p_end in paragraph_spans(text):
        for start, end in sentence_spans(text[p_start:p_end], p_start):
            piece = text[start:end]
            stripped = piece.strip(" \t\n\u00c2\u00a0")
            if len(stripped) < (12 if headings else min_chars):
                continue
            if not headings and is_heading(stripped):
                continue
            offset = piece.index(stripped)
            spans.append((start + offset, start + offset + len(stripped)))
    return spans


@dataclass
class Sentence:
    """A sentence of a retrieved passage, scored against the question."""

    passage: Passage
    start: int
    end: int
    similarity: float = 0.0
    coverage: float = 0.0
    prior: float = 0.0
    vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start:self.end]

    @property
    def relevance(self) -> float:
        return self.similarity + 0.08 * self.coverage + self.prior

    @property
    def position(self) -> tuple[str, int]:
        return self.passage.chunk.source, self.passage.chunk.start + self.start


class SentenceScorer:
    """Scores passage sentences against a query; sentence vectors are cached on disk."""

    def __init__(self, embedder: Embedder, cache: VectorCache | None = None) -> None:
        self.embedder = embedder
        self.cache = cache

    def vectors(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return embed_passages_cached(self.embedder, texts, self.cache)[0]

    def query_vector(self, text: str) -> np.ndarray:
        return embed_query(self.embedder, text)

    def sentences(self, query: str, passages: list[Passage], qvec: np.ndarray | None = None,
                  weights: TermWeights | None = None, rendering: tuple[str, str] | None = None,
                  alternatives: Alternatives | None = None) -> list[Sentence]:
        """Every sentence of ``passages`` with its similarity to and coverage of ``query``.

        Each sentence also gets a small prior: up to 0.03 from its passage's retrieval score
        (relative to the others), 0.02 when a "what is X" question meets a defining sentence, and
        -0.02 for a reading's sentence about the source essay (a restatement: the essay itself
        is the better quote). Questions in the text are skipped unless the query asks about one;
        headings are skipped unless it asks about a heading (then they get 0.05).
        ``rendering`` is (language, the query rendered word for word in it; see
        ``Retriever.expansion``): a sentence in that language scores the better of its two
        similarities.
        """
        qvec = self.query_vector(query) if qvec is None else qvec
        q_tokens = content_tokens(query)
        alternatives = term_alternatives(query) if alternatives is None else alternatives
        scores = [p.score for p in passages]
        low, span = (min(scores), (max(scores) - min(scores)) or 1.0) if scores else (0.0, 1.0)
        definition = bool(DEFINITION_QUESTION.search(query))
        asks_about_a_question = bool(ASKS_ABOUT_A_QUESTION.search(query))
        headings = bool(ASKS_ABOUT_A_HEADING.search(query))
        found: list[Sentence] = []
        seen: set[tuple[str, str]] = set()
        for passage in passages:
            for start, end in chunk_sentences(passage.chunk.text, headings=headings):
                key = (passage.chunk.source, passage.chunk.text[start:end])
                if key[1].endswith("?") and not asks_about_a_question:
                    continue  # a question in the text answers nothing ("bagaimana sih liberalisme ...?")
                if key not in seen:  # overlapping chunks repeat sentences
                    seen.add(key)
                    found.append(Sentence(passage, start, end, prior=0.03 * (passage.score - low) / span))
        vectors = self.vectors([s.text for s in found])
        rvec = self.query_vector(rendering[1]) if rendering else None
        for sentence, vector in zip(found, vectors):
            sentence.vector = vector
            sentence.similarity = float(np.dot(vector, qvec))
            if rvec is not None and passage_language(sentence.passage) == rendering[0]:
                sentence.similarity = max(sentence.similarity, float(np.dot(vector, rvec)))
            sentence.coverage = coverage(q_tokens, content_tokens(sentence.text), weights, alternatives)
            if headings and is_heading(sentence.text):
                sentence.prior += 0.05
            if definition and DEFINITION_CUE.search(sentence.text):
                sentence.prior += 0.02
            if sentence.passage.chunk.metadata.get("kind") == "reading" and refers_to_source(sentence.text):
                sentence.prior -= 0.02  # a reading restating the essay: quote the essay itself
        return found


def select_sentences(candidates: list[Sentence], limit: int = 3, window: float = 0.03,
                     redundancy: float = 0.93) -> list[Sentence]:
    """Pick the best sentence and up to ``limit - 1`` more that are nearly as relevant
    (within ``window``) and do not repeat one already picked (cosine below ``redundancy``)."""
    ranked = sorted(candidates, key=lambda s: -s.relevance)
    picked: list[Sentence] = []
    for sentence in ranked:
        if len(picked) >= limit or (picked and sentence.relevance < picked[0].relevance - window):
            break
        if any(float(np.dot(sentence.vector, p.vector)) >= redundancy for p in picked):
            continue
        picked.append(sentence)
    return picked


# --- abstention ----------------------------------------------------------------------------

@dataclass
class Signals:
    """Evidence that the retrieved passages answer the question (inputs of the calibration)."""

    top_dense: float = 0.0
    dense_margin: float = 0.0
    best_sentence: float = 0.0
    sentence_coverage: float = 0.0
    passage_coverage: float = 0.0
    missing_numbers: float = 0.0
    type_unanswered: float = 0.0
    unknown_names: float = 0.0
    unknown_terms: float = 0.0
    missing_key: float = 0.0
    cross_language: float = 0.0

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in SIGNAL_NAMES]


SIGNAL_NAMES = ["top_dense", "dense_margin", "best_sentence", "sentence_coverage", "passage_coverage",
                "missing_numbers", "type_unanswered", "unknown_names", "unknown_terms", "missing_key",
                "cross_language"]
# Logistic-regression weights fitted by benchmarks/abstention.py (see docs/benchmarks.md).
WEIGHTS = [7.0, -4.4, 15.6, 1.54, 1.45, -2.29, -2.61, -0.43, 0.38, -0.6, 0.84]
BIAS = -20.79

_NAME = re.compile(r"\b[A-Z][\w]*(?:-[\w]+)*")


def question_names(question: str) -> set[str]:
    """Stemmed capitalised words of a question (names, acronyms), framing words excluded."""
    from assistant.lexical import stem

    names = set()
    for word in _NAME.findall(question):
        lower = word.lower()
        if lower in FRAME_WORDS or lower in FUNCTION_WORDS or len(lower) < 2:
            continue
        names.add(stem(lower))
    return names


def unknown_share(tokens: set[str], weights: TermWeights | None, alternatives: Alternatives = ()) -> float:
    """IDF-weighted share of ``tokens`` that occur nowhere in the collection (neither they nor a
    glossary rendering of their term)."""
    if not tokens or weights is None:
        return 0.0
    known = covered(tokens, weights.df, alternatives)
    total = sum(weights.weight(t) for t in tokens)
    return sum(weights.weight(t) for t in tokens - known) / total


def missing_key(tokens: set[str], text_tokens: set[str], weights: TermWeights | None,
                alternatives: Alternatives = ()) -> float:
    """How specific the most specific question word missing from the text is: its IDF over the
    largest possible IDF (0 when every word is there)."""
    if not tokens or weights is None:
        return 0.0
    missing = tokens - covered(tokens, text_tokens, alternatives)
    top = math.log(1.0 + weights.n)
    return max((weights.weight(t) for t in missing), default=0.0) / top


def type_unanswered(query: str, texts: str) -> float:
    """1 when the question asks for a figure or a date and the best sentences hold none."""
    if DATE_QUESTION.search(query):  # before the figure check: "tahun berapa" asks for a year
        return float(not DATE.search(texts))
    if NUMBER_QUESTION.search(query):
        return float(not AMOUNT.search(texts))
    return 0.0


def compute_signals(query: str, passages: list[Passage], sentences: list[Sentence], k: int = 5,
                    weights: TermWeights | None = None, alternatives: Alternatives | None = None) -> Signals:
    """The abstention signals for a query, its retrieved passages (best first, ideally more
    than ``k``: the rest serve as the background for the margin) and their scored sentences."""
    if not passages:
        return Signals()
    dense = [p.dense_score or 0.0 for p in passages]
    rest = dense[1:] or [dense[0]]
    top = passages[:k]
    q_tokens = content_tokens(query)
    alternatives = term_alternatives(query) if alternatives is None else alternatives
    in_top = [s for s in sentences if any(s.passage is p for p in top)] or sentences
    best = max(in_top, key=lambda s: s.relevance, default=None)
    # What the three best passages say: their sentences, so headings and questions in the text
    # ("PANDANGAN LIBERALISME ...", "bagaimana sih ...?") do not count as evidence.
    top_text = " ".join(s.text for s in in_top if any(s.passage is p for p in top[:3]))
    top_tokens = content_tokens(top_text)
    numbers = set(NUMBER.findall(query))
    best_texts = " ".join(s.text for s in sorted(in_top, key=lambda s: -s.relevance)[:2])
    return Signals(
        top_dense=dense[0],
        dense_margin=dense[0] - float(np.mean(rest)),
        best_sentence=best.similarity if best else 0.0,
        sentence_coverage=best.coverage if best else 0.0,
        passage_coverage=coverage(q_tokens, top_tokens, weights, alternatives),
        missing_numbers=(sum(n not in top_text for n in numbers) / len(numbers)) if numbers else 0.0,
        type_unanswered=type_unanswered(query, best_texts),
        unknown_names=unknown_share(question_names(query), weights, alternatives),
        unknown_terms=unknown_share(q_tokens, weights, alternatives),
        missing_key=missing_key(q_tokens, top_tokens, weights, alternatives),
        cross_language=float(best is not None and passage_language(best.passage) != detect_language(query)),
    )


def answerable_probability(signals: Signals, weights: list[float] | None = None, bias: float | None = None) -> float:
    """Calibrated probability that the passages answer the question (logistic model)."""
    w = WEIGHTS if weights is None else weights
    b = BIAS if bias is None else bias
    z = b + sum(wi * xi for wi, xi in zip(w, signals.vector()))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def abstention(question: str, language: str, passages: list[Passage], confidence: float | None = None,
               scoped: bool = False) -> Answer:
    """An answer that declines, listing the closest passages (``scoped``: the question asked what
    the source text says, and the source does not say it)."""
    text = (ABSTAIN_SOURCE if scoped else ABSTAIN)[language]
    return Answer(text=text, abstained=True, language=language, passages=passages,
                  question=question, confidence=confidence)


# --- composing -----------------------------------------------------------------------------

def reading_order(sentences: list[Sentence]) -> list[Sentence]:
    """Sentences grouped by reading (most relevant reading first), in text order within one."""
    first: dict[str, int] = {}
    for i, s in enumerate(sentences):
        first.setdefault(s.passage.chunk.source, i)
    return sorted(sentences, key=lambda s: (first[s.passage.chunk.source], s.position[1]))


def make_citation(n: int, passage: Passage, start: int, end: int, supported: bool = True) -> Citation:
    chunk = passage.chunk
    return Citation(n=n, chunk_id=chunk.id, source=chunk.source, title=chunk.title, location=chunk.location,
                    text=chunk.text, quote=chunk.text[start:end], start=chunk.start, end=chunk.end,
                    supported=supported)


def _merge_adjacent(sentences: list[Sentence]) -> list[tuple[Passage, int, int]]:
    """(passage, start, end) quotes; neighbouring sentences of one chunk become one quote."""
    quotes: list[tuple[Passage, int, int]] = []
    for s in sentences:
        if quotes and quotes[-1][0] is s.passage:
            passage, start, end = quotes[-1]
            between = passage.chunk.text[end:s.start] if s.start >= end else "x"
            if not between.strip(" \t\n\u00c2\u00a0"):
                quotes[-1] = (passage, start, s.end)
                continue
        quotes.append((s.passage, s.start, s.end))
    return quotes


def passage_language(passage: Passage) -> str:
    lang = str(passage.chunk.metadata.get("language") or "")
    return lang if lang in ("id", "en") else detect_language(passage.chunk.text)


def compose_extractive(sentences: list[Sentence], language: str) -> tuple[str, list[Citation]]:
    """Answer text (lead-in plus verbatim quotes with ``[n]``) and its citations.

    Quotes in another language than the question's are kept verbatim inside quotation marks;
    when every quote is in that other language, the lead-in says so.
    """
    quotes = _merge_adjacent(reading_order(sentences))
    langs = [passage_language(p) for p, _, _ in quotes]
    foreign = {lang for lang in langs if lang != language}
    quote_lang = foreign.pop() if foreign and len(set(langs)) == 1 else language
    parts, citations = [LEAD_IN[(language, quote_lang)]], []
    for n, ((passage, start, end), lang) in enumerate(zip(quotes, langs), 1):
        citations.append(make_citation(n, passage, start, end))
        quote = passage.chunk.text[start:end]
        parts.append(f"\u201c{quote}\u201d [{n}]" if lang != language else f"{quote} [{n}]")
    return " ".join(parts), citations


def extractive_answer(question: str, language: str, passages: list[Passage], sentences: list[Sentence],
                      limit: int = 3) -> Answer:
    """The extractive answer from already scored sentences (abstains when there are none)."""
    picked = select_sentences(sentences, limit)
    if not picked:
        return abstention(question, language, passages)
    text, citations = compose_extractive(picked, language)
    return Answer(text=text, citations=citations, language=language, llm="extractive", passages=passages,
                  question=question)


# --- checking an LLM's reply ---------------------------------------------------------------

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
    notes = [f"dropped citation(s) to passages that do not exist: {', '.join(f'[{d}]' for d in dropped)}"] if dropped else []
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
        best = max((float(np.dot(vec, s.vector)) + 0.1 * coverage(content_tokens(claim), content_tokens(s.text))
                    for s in sentences), default=0.0)
        if best < support:
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


DECLINE_PATTERNS = re.compile(
    r"(tidak (?:menjawab|menyebutkan|membahas|ada informasi|memuat)|tidak dapat (?:menjawab|ditemukan)"
    r"|do(?:es)? not (?:answer|mention|contain|say)|don't (?:answer|mention|contain|say)|cannot be answered"
    r"|no information)", re.I,
)


def declines(reply: str) -> bool:
    """True when a model's reply says the passages do not answer (and cites nothing)."""
    return bool(DECLINE_PATTERNS.search(reply)) and not LLM_MARKER.search(reply)


def stream_llm_answer(question: str, language: str, passages: list[Passage], scorer: SentenceScorer,
                      deltas: Iterator[str]) -> Iterator[str | Answer]:
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
    yield Answer(text=checked.text, citations=checked.citations, language=language, passages=passages,
                 notes=checked.notes, unsupported=checked.unsupported, question=question)


class NoCitations(Exception):
    """An LLM reply without a usable citation."""
