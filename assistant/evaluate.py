"""Evaluation: question sets, relevance judgements, per-question scores, summaries, thresholds.

A question set is a JSONL file in the format of ``evals/README.md``; entries with ``"turns"`` are
conversations whose turns run in order, each with the earlier turns as history. Running a set asks
every question through :class:`~assistant.service.Assistant` exactly as a user would (the answer
uses the normal ``top_k``), and runs a separate top-10 retrieval of the same query for the
ranking metrics.

Relevance: a passage is relevant to a gold quote when its text contains the quote (after
Unicode NFKC, case-folding and whitespace collapsing) or when its ``[start, end)`` offsets overlap
a place where the quote occurs in the cleaned text of the same document. The cleaned texts are
rebuilt from the collection's own chunks (``text[start:end] == chunk.text``), so offsets always
agree with the index being evaluated.

Metrics of one question (answerable ones only for retrieval):

- ``recall@k``: share of the gold quotes with a relevant passage in the first k (a quote found
  in two overlapping chunks counts once, so a perfect ranking scores 1);
- ``mrr@10``: reciprocal rank of the first relevant passage;
- ``ndcg@10``: binary nDCG over the relevant chunks of the collection
  (:func:`assistant.metrics.ndcg_at_k`);
- citations: relevant or not, quote verbatim in the cited chunk or not; ``token_f1`` against the
  ``reference_answer``.

Summaries (:func:`summarize`) pool questions into groups: ``all``, each set, and each of those
split ``/id``, ``/en``, ``/answerable``, ``/unanswerable``.
"""

from __future__ import annotations

import json
import re
import string
import time
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.metrics import mrr_at_k, ndcg_at_k
from assistant.types import Answer, Chunk, Passage

RANK_DEPTH = 10
RECALL_KS = (1, 3, 5, 10)
LANGS = ("id", "en")
VERDICTS = ("error", "invalid quote", "should abstain", "unsupported", "false abstention", "ok")
RETRIEVAL_METRICS = tuple(f"recall@{k}" for k in RECALL_KS) + ("mrr@10", "ndcg@10")
ANSWER_METRICS = ("ok_rate", "citation_precision", "citation_recall", "quote_validity",
                  "abstention_precision", "abstention_recall", "abstention_f1", "answered_rate", "token_f1")
LATENCY_METRICS = ("retrieve_p50", "retrieve_p95", "answer_p50", "answer_p95", "total_p50", "total_p95")
COUNT_METRICS = ("n", "answerable", "unanswerable", "abstained", "errors", "tp", "fp", "fn", "tn")
METRICS = RETRIEVAL_METRICS + ANSWER_METRICS + LATENCY_METRICS + COUNT_METRICS


class SetError(ValueError):
    """A question set that cannot be read or breaks the format (message names file and line)."""


# ---------------------------------------------------------------------------------------------
# Question sets


@dataclass
class EvalItem:
    """One question to ask: a plain entry, or one turn of a conversation (``turn`` from 1)."""

    id: str
    question: str
    lang: str
    answerable: bool
    gold_quotes: list[str] = field(default_factory=list)
    reference_answer: str | None = None
    set_name: str = ""
    conversation: str | None = None
    turn: int | None = None


@dataclass
class QuestionSet:
    """A loaded set: ``cases`` are lists of items asked in order with history (one item per plain
    question, one per turn for a conversation)."""

    name: str
    path: Path
    cases: list[list[EvalItem]]

    @property
    def items(self) -> list[EvalItem]:
        return [item for case in self.cases for item in case]


def _item(raw: dict, where: str, set_name: str, lang: str | None = None, **extra) -> EvalItem:
    question = raw.get("question")
    if not isinstance(question, str) or not question.strip():
        raise SetError(f"{where}: 'question' must be a non-empty string")
    lang = raw.get("lang", lang)
    if lang not in LANGS:
        raise SetError(f"{where}: 'lang' must be 'id' or 'en', got {lang!r}")
    answerable = raw.get("answerable")
    if not isinstance(answerable, bool):
        raise SetError(f"{where}: 'answerable' must be true or false")
    quotes = raw.get("gold_quotes") or []
    if not isinstance(quotes, list) or not all(isinstance(q, str) and q.strip() for q in quotes):
        raise SetError(f"{where}: 'gold_quotes' must be a list of non-empty strings")
    if answerable and not quotes:
        raise SetError(f"{where}: an answerable question needs 'gold_quotes'")
    if not answerable and quotes:
        raise SetError(f"{where}: an unanswerable question has no 'gold_quotes'")
    reference = raw.get("reference_answer")
    if reference is not None and not isinstance(reference, str):
        raise SetError(f"{where}: 'reference_answer' must be a string")
    return EvalItem(question=question.strip(), lang=lang, answerable=answerable, gold_quotes=quotes,
                    reference_answer=reference or None, set_name=set_name, **extra)


def _case(raw: Any, where: str, set_name: str) -> list[EvalItem]:
    if not isinstance(raw, dict):
        raise SetError(f"{where}: each line must be a JSON object")
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid.strip():
        raise SetError(f"{where}: 'id' must be a non-empty string")
    if "turns" not in raw:
        return [_item(raw, where, set_name, id=cid)]
    turns = raw["turns"]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, dict) for t in turns):
        raise SetError(f"{where}: 'turns' must be a non-empty list of objects")
    return [_item(t, f"{where} turn {i}", set_name, raw.get("lang"), id=f"{cid}/{i}", conversation=cid, turn=i)
            for i, t in enumerate(turns, 1)]


def load_question_set(path: str | Path) -> QuestionSet:
    """Read and check a JSONL question set.

    Parameters
    ----------
    path : str or Path
        The ``.jsonl`` file; its stem names the set in reports.

    Raises
    ------
    SetError
        For a missing file, invalid JSON, a broken entry or a repeated id.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SetError(f"cannot read question set {path}: {exc}") from exc
    cases, seen = [], set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SetError(f"{where}: invalid JSON ({exc.msg})") from exc
        case = _case(raw, where, path.stem)
        for item in case:
            if item.id in seen:
                raise SetError(f"{where}: id {item.id!r} is repeated")
            seen.add(item.id)
        cases.append(case)
    if not cases:
        raise SetError(f"{path}: no questions")
    return QuestionSet(path.stem, path, cases)


def load_question_sets(paths: Sequence[str | Path]) -> list[QuestionSet]:
    """Load several sets; set names (file stems) and item ids must be unique across them."""
    sets = [load_question_set(p) for p in paths]
    names = [s.name for s in sets]
    if len(set(names)) != len(names):
        raise SetError(f"question sets need distinct file names, got {names}")
    ids: dict[str, str] = {}
    for qs in sets:
        for item in qs.items:
            if item.id in ids:
                raise SetError(f"id {item.id!r} is in both {ids[item.id]} and {qs.name}")
            ids[item.id] = qs.name
    return sets


# ---------------------------------------------------------------------------------------------
# Relevance


def normalized_with_map(text: str) -> tuple[str, list[int]]:
    """NFKC, case-folded, whitespace-collapsed ``text`` and, per output char, its input offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                offsets.append(i)
            continue
        for c in unicodedata.normalize("NFKC", ch).casefold():
            chars.append(c)
            offsets.append(i)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    return "".join(chars), offsets


def normalize(text: str) -> str:
    """The comparison form of ``text`` (see :func:`normalized_with_map`)."""
    return normalized_with_map(text)[0]


def find_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Every ``(start, end)`` in ``text`` where ``quote`` occurs after normalisation."""
    haystack, offsets = normalized_with_map(text)
    needle = normalize(quote)
    spans, at = [], haystack.find(needle) if needle else -1
    while at >= 0:
        spans.append((offsets[at], offsets[at + len(needle) - 1] + 1))
        at = haystack.find(needle, at + 1)
    return spans


def rebuild_documents(chunks: Iterable[Chunk]) -> dict[str, str]:
    """The cleaned text of each source, rebuilt from its chunks (uncovered gaps become spaces)."""
    parts: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        parts.setdefault(chunk.source, []).append(chunk)
    documents = {}
    for source, pieces in parts.items():
        buffer = [" "] * max(c.end for c in pieces)
        for c in pieces:
            buffer[c.start:c.start + len(c.text)] = list(c.text)
        documents[source] = "".join(buffer)
    return documents


class RelevanceJudge:
    """Decides which passages are relevant to gold quotes, over one collection's chunks."""

    def __init__(self, chunks: Iterable[Chunk]) -> None:
        self.chunks = list(chunks)
        self.documents = rebuild_documents(self.chunks)
        self._normal = {c.id: normalize(c.text) for c in self.chunks}
        self._spans: dict[str, list[tuple[str, int, int]]] = {}
        self._ids: dict[str, set[str]] = {}

    def spans(self, quote: str) -> list[tuple[str, int, int]]:
        """Where ``quote`` occurs: ``(source, start, end)`` in the cleaned document texts."""
        if quote not in self._spans:
            self._spans[quote] = [(source, s, e) for source, text in self.documents.items()
                                  for s, e in find_spans(text, quote)]
        return self._spans[quote]

    def relevant(self, source: str, start: int, end: int, text: str, quote: str, normal: str | None = None) -> bool:
        """True when the passage contains ``quote`` or overlaps one of its spans."""
        needle = normalize(quote)
        if needle and needle in (normal if normal is not None else normalize(text)):
            return True
        return any(src == source and s < end and start < e for src, s, e in self.spans(quote))

    def relevant_ids(self, quote: str) -> set[str]:
        """The ids of every chunk of the collection relevant to ``quote``."""
        if quote not in self._ids:
            self._ids[quote] = {c.id for c in self.chunks
                                if self.relevant(c.source, c.start, c.end, c.text, quote, self._normal[c.id])}
        return self._ids[quote]

    def is_relevant(self, source: str, start: int, end: int, text: str, quotes: Sequence[str]) -> bool:
        """True when the passage is relevant to at least one of ``quotes``."""
        return any(self.relevant(source, start, end, text, q) for q in quotes)

    def missing(self, quotes: Iterable[str]) -> list[str]:
        """The quotes found nowhere in the collection (a set written for other texts)."""
        return [q for q in quotes if not self.spans(q)]


# ---------------------------------------------------------------------------------------------
# Per-question metrics


def quote_recall_at_k(ranked: Sequence[str], per_quote: Sequence[set[str]], k: int) -> float:
    """Share of quotes with at least one of their relevant ids among the first ``k`` of ``ranked``.

    >>> quote_recall_at_k(["a", "b", "c"], [{"b"}, {"x"}], 2)
    0.5
    """
    if not per_quote:
        raise ValueError("at least one quote is needed")
    top = set(list(dict.fromkeys(ranked))[:k])
    return sum(1 for ids in per_quote if ids & top) / len(per_quote)


def ranking_scores(ranked: Sequence[str], per_quote: Sequence[set[str]]) -> dict[str, float]:
    """Recall@1/3/5/10 (per quote), MRR@10 and nDCG@10 of one ranking.

    A question whose quotes match no chunk at all scores 0 everywhere.
    """
    relevant = set().union(*per_quote) if per_quote else set()
    scores = {f"recall@{k}": quote_recall_at_k(ranked, per_quote, k) for k in RECALL_KS}
    scores["mrr@10"] = mrr_at_k(ranked, relevant, RANK_DEPTH) if relevant else 0.0
    scores["ndcg@10"] = ndcg_at_k(ranked, relevant, RANK_DEPTH) if relevant else 0.0
    return scores


_MARKERS = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "“”‘’«»–—…"})


def answer_tokens(text: str) -> list[str]:
    """Lower-cased word tokens of an answer, without citation markers and punctuation."""
    return _MARKERS.sub(" ", text).casefold().translate(_PUNCT).split()


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 between an answer and a reference answer.

    >>> round(token_f1("the cat sat [1]", "a cat sat down"), 3)
    0.571
    """
    pred, ref = answer_tokens(prediction), answer_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum(min(pred.count(t), ref.count(t)) for t in set(pred) & set(ref))
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None when the denominator is 0 (metric undefined)."""
    return numerator / denominator if denominator else None


def abstention_scores(answerable: Sequence[bool], abstained: Sequence[bool]) -> dict[str, float | int | None]:
    """Confusion counts and precision/recall/F1 of abstention (positive: abstained, unanswerable),
    and the share of answerable questions answered (``abstention_recall`` is the share of
    unanswerable ones declined).

    >>> abstention_scores([False, False, True, True], [True, False, True, False])["abstention_f1"]
    0.5
    """
    tp = sum(1 for a, x in zip(answerable, abstained) if not a and x)
    fp = sum(1 for a, x in zip(answerable, abstained) if a and x)
    fn = sum(1 for a, x in zip(answerable, abstained) if not a and not x)
    tn = sum(1 for a, x in zip(answerable, abstained) if a and not x)
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "abstention_precision": precision,
            "abstention_recall": recall, "abstention_f1": f1, "answered_rate": ratio(tn, tn + fp)}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation), None for no values."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else None


# ---------------------------------------------------------------------------------------------
# Results of one question


@dataclass
class QuestionResult:
    """Everything measured for one question or conversation turn (one row of ``results.json``)."""

    id: str
    set: str
    question: str
    lang: str
    answerable: bool
    query: str = ""
    conversation: str | None = None
    turn: int | None = None
    gold_quotes: list[str] = field(default_factory=list)
    reference_answer: str | None = None
    retrieved: list[dict] = field(default_factory=list)
    answer: str = ""
    abstained: bool = False
    llm: str = ""
    citations: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    first_relevant_rank: int | None = None
    token_f1: float | None = None
    verdict: str = ""
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def verdict(result: QuestionResult) -> str:
    """One word on the outcome; the order of :data:`VERDICTS` runs from worst to best."""
    if result.error:
        return "error"
    if any(not c["quote_valid"] for c in result.citations):
        return "invalid quote"
    if not result.answerable:
        return "ok" if result.abstained else "should abstain"
    if result.abstained:
        return "false abstention"
    return "ok" if any(c["relevant"] for c in result.citations) else "unsupported"


def severity(result: QuestionResult | dict) -> tuple:
    """Sort key putting the worst questions first (verdict, then weak retrieval, then low F1)."""
    row = result if isinstance(result, dict) else result.to_json()
    scores = row.get("scores") or {}
    return (VERDICTS.index(row["verdict"]) if row["verdict"] in VERDICTS else 0,
            scores.get("recall@10", 1.0), scores.get("mrr@10", 1.0),
            row["token_f1"] if row.get("token_f1") is not None else 1.0, row["id"])


def passage_row(passage: Passage, relevant: bool) -> dict[str, Any]:
    c = passage.chunk
    return {"rank": passage.rank, "chunk_id": c.id, "source": c.source, "start": c.start, "end": c.end,
            "score": round(float(passage.score), 6), "relevant": relevant, "text": c.text}


def citation_row(citation, chunks: dict[str, Chunk], judge: RelevanceJudge, quotes: Sequence[str]) -> dict:
    """A citation as JSON, with ``relevant`` and ``quote_valid`` (quote verbatim in the cited chunk)."""
    row = citation.to_dict() if hasattr(citation, "to_dict") else dict(citation)
    chunk = chunks.get(row["chunk_id"])
    text = chunk.text if chunk is not None else row.get("text", "")
    row["quote_valid"] = bool(row.get("quote")) and row["quote"] in text
    row["relevant"] = judge.is_relevant(row["source"], row["start"], row["end"], text, quotes)
    return row


def score_question(item: EvalItem, answer: Answer | None, ranking: list[Passage], judge: RelevanceJudge,
                   chunks: dict[str, Chunk]) -> QuestionResult:
    """Judge one answered (or failed, ``answer=None``) question against its gold data."""
    result = QuestionResult(id=item.id, set=item.set_name, question=item.question, lang=item.lang,
                            answerable=item.answerable, conversation=item.conversation, turn=item.turn,
                            gold_quotes=list(item.gold_quotes), reference_answer=item.reference_answer)
    per_quote = [judge.relevant_ids(q) for q in item.gold_quotes]
    relevant = set().union(*per_quote) if per_quote else set()
    result.retrieved = [passage_row(p, p.chunk.id in relevant) for p in ranking]
    ranks = [row["rank"] for row in result.retrieved if row["relevant"]]
    result.first_relevant_rank = min(ranks) if ranks else None
    if item.answerable:
        result.scores = ranking_scores([p.chunk.id for p in ranking], per_quote)
    if answer is not None:
        result.query, result.answer, result.abstained = answer.query, answer.text, answer.abstained
        result.llm, result.notes = answer.llm, list(answer.notes)
        result.timings = {k: round(v, 4) for k, v in answer.timings.items()}
        result.citations = [citation_row(c, chunks, judge, item.gold_quotes) for c in answer.citations]
        if item.reference_answer:
            result.token_f1 = token_f1(answer.text, item.reference_answer)
    return result


# ---------------------------------------------------------------------------------------------
# Running


Progress = Callable[[int, int, str], None]


@dataclass
class EvalRun:
    """The outcome of a run: per-question results and the summary of ``results.json``."""

    results: list[QuestionResult]
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "questions": [r.to_json() for r in self.results]}


def ask_item(assistant, item: EvalItem, history: list[tuple[str, str]], collection: str | None,
             llm: str | None) -> tuple[Answer | None, list[Passage], str | None, float]:
    """Ask one question as a user would, then retrieve the top 10 of the same query for ranking."""
    started = time.perf_counter()
    try:
        answer = assistant.ask(item.question, collection=collection, llm=llm, history=history or None)
    except Exception as exc:  # one failing question is recorded, not fatal to the run
        return None, [], f"{type(exc).__name__}: {exc}"[:500], time.perf_counter() - started
    seconds = time.perf_counter() - started
    ranking = assistant.retriever(collection).search(answer.query or item.question, RANK_DEPTH)
    return answer, ranking, None, seconds


def run_case(assistant, case: list[EvalItem], judge: RelevanceJudge, chunks: dict[str, Chunk],
             collection: str | None, llm: str | None, step: Callable[[str], None]) -> list[QuestionResult]:
    """Ask the turns of one case in order, each with the earlier turns as history."""
    history: list[tuple[str, str]] = []
    results = []
    for item in case:
        answer, ranking, error, seconds = ask_item(assistant, item, history, collection, llm)
        result = score_question(item, answer, ranking, judge, chunks)
        result.error, result.seconds = error, round(seconds, 4)
        result.verdict = verdict(result)
        results.append(result)
        history.append((item.question, answer.text if answer else ""))
        step(item.id)
    return results


def run_sets(assistant, sets: Sequence[QuestionSet], *, collection: str | None = None, llm: str | None = None,
             progress: Progress | None = None) -> EvalRun:
    """Run question sets through ``assistant`` and summarise them.

    Parameters
    ----------
    assistant : assistant.service.Assistant
        The service; ``ask`` answers, ``retriever(collection).search`` gives the top-10 ranking.
    sets : sequence of QuestionSet
        From :func:`load_question_sets`.
    collection, llm : str, optional
        As for ``Assistant.ask`` (default: the settings').
    progress : callable, optional
        Called as ``progress(done, total, item_id)`` after each question (and once with 0 first).

    Returns
    -------
    EvalRun
    """
    started = time.perf_counter()
    index = assistant.retriever(collection).index
    judge = RelevanceJudge(index.chunks.values())
    total = sum(len(qs.items) for qs in sets)
    done = 0

    def step(item_id: str) -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total, item_id)

    if progress:
        progress(0, total, "")
    results = [r for qs in sets for case in qs.cases
               for r in run_case(assistant, case, judge, index.chunks, collection, llm, step)]
    quotes = [q for qs in sets for item in qs.items for q in item.gold_quotes]
    context = run_context(assistant, index, sets, llm, judge.missing(dict.fromkeys(quotes)))
    context["seconds"] = round(time.perf_counter() - started, 1)
    return EvalRun(results, summarize(results, [qs.name for qs in sets], context))


def run_context(assistant, index, sets: Sequence[QuestionSet], llm: str | None, missing: list[str]) -> dict:
    """What a run was made with: sets, collection, embedder, chunking and answer settings."""
    settings = assistant.settings
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "sets": {qs.name: {"path": str(qs.path), "questions": len(qs.items)} for qs in sets},
        "collection": index.name,
        "llm": llm or settings.llm,
        "settings": {"embedder": index.manifest.get("embedder"), "chunking": index.manifest.get("chunking"),
                     "chunks": len(index.chunks), "top_k": settings.top_k, "candidates": settings.candidates,
                     "dense_weight": settings.dense_weight, "rerank_model": settings.rerank_model,
                     "abstain_threshold": settings.abstain_threshold},
        "missing_quotes": missing,
    }


# ---------------------------------------------------------------------------------------------
# Summaries


def _mean(values: Iterable[float | None]) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def group_metrics(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """Every metric of :data:`METRICS` over a group of question results."""
    answerable = [r for r in results if r.answerable]
    answered = [r for r in answerable if not r.error]
    cited = [c for r in answered for c in r.citations]
    all_cites = [c for r in results for c in r.citations]
    ran = [r for r in results if not r.error]
    metrics: dict[str, Any] = {k: _mean(r.scores.get(k) for r in answerable) for k in RETRIEVAL_METRICS}
    metrics.update(
        ok_rate=ratio(sum(r.verdict == "ok" for r in results), len(results)),
        citation_precision=ratio(sum(c["relevant"] for c in cited), len(cited)),
        citation_recall=ratio(sum(any(c["relevant"] for c in r.citations) for r in answerable), len(answerable)),
        quote_validity=ratio(sum(c["quote_valid"] for c in all_cites), len(all_cites)),
        token_f1=_mean(r.token_f1 for r in answerable),
    )
    metrics.update(abstention_scores([r.answerable for r in ran], [r.abstained for r in ran]))
    for stage in ("retrieve", "answer", "total"):
        values = [r.timings[stage] for r in ran if stage in r.timings]
        metrics[f"{stage}_p50"], metrics[f"{stage}_p95"] = percentile(values, 50), percentile(values, 95)
    metrics.update(n=len(results), answerable=len(answerable), unanswerable=len(results) - len(answerable),
                   abstained=sum(r.abstained for r in ran), errors=len(results) - len(ran))
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}


def group_names(set_names: Sequence[str]) -> list[str]:
    """``all`` and each set, each followed by its language and answerability splits."""
    names = []
    for base in ("all", *set_names):
        names += [base, *(f"{base}/{lang}" for lang in LANGS), f"{base}/answerable", f"{base}/unanswerable"]
    return names


def in_group(result: QuestionResult, group: str) -> bool:
    base, _, part = group.partition("/")
    if base != "all" and result.set != base:
        return False
    if part in LANGS:
        return result.lang == part
    if part in ("answerable", "unanswerable"):
        return result.answerable == (part == "answerable")
    return True


def summarize(results: Sequence[QuestionResult], set_names: Sequence[str], context: dict | None = None) -> dict:
    """The ``summary`` of ``results.json``: ``context`` plus ``groups`` (name to metrics).

    Empty groups (say, ``conversations/unanswerable`` with no such turn) are left out.
    """
    groups = {}
    for name in group_names(set_names):
        members = [r for r in results if in_group(r, name)]
        if members:
            groups[name] = group_metrics(members)
    verdicts = {v: sum(r.verdict == v for r in results) for v in VERDICTS}
    return {**(context or {}), "verdicts": verdicts, "groups": groups}


# ---------------------------------------------------------------------------------------------
# Thresholds


@dataclass(frozen=True)
class Threshold:
    """``group:metric >= value`` (group ``all`` when not given)."""

    group: str
    metric: str
    value: float

    @property
    def label(self) -> str:
        return self.metric if self.group == "all" else f"{self.group}:{self.metric}"


def parse_threshold(text: str) -> Threshold:
    """Parse ``METRIC=VALUE`` or ``GROUP:METRIC=VALUE`` (e.g. ``source/en:recall@5=0.9``).

    Raises
    ------
    ValueError
        For a malformed text or an unknown metric name.
    """
    key, sep, value = text.partition("=")
    group, _, metric = key.strip().rpartition(":")
    metric = metric.strip().lower()
    if not sep or not metric:
        raise ValueError(f"threshold {text!r} is not METRIC=VALUE")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} in {text!r}; known: {', '.join(METRICS)}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"threshold {text!r}: {value!r} is not a number") from None
    return Threshold(group.strip() or "all", metric, number)


def load_thresholds(path: str | Path) -> list[Threshold]:
    """Thresholds from a TOML file with a ``[min]`` table of ``"group:metric" = value``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read thresholds {path}: {exc}") from exc
    table = data.get("min")
    if not isinstance(table, dict):
        raise ValueError(f"{path}: needs a [min] table of \"metric\" = value")
    return [parse_threshold(f"{key}={value}") for key, value in table.items()]


def check_thresholds(summary: dict, thresholds: Sequence[Threshold]) -> list[str]:
    """One message per failed threshold (a missing group or undefined metric fails too)."""
    failures = []
    for t in thresholds:
        group = summary.get("groups", {}).get(t.group)
        if group is None:
            failures.append(f"{t.label}: no group {t.group!r} in this run (need >= {t.value:g})")
            continue
        value = group.get(t.metric)
        if value is None:
            failures.append(f"{t.label}: undefined in this run (need >= {t.value:g})")
        elif value < t.value:
            failures.append(f"{t.label} = {value:.4f} < {t.value:g}")
    return failures


# ---------------------------------------------------------------------------------------------
# Comparison with an earlier run


@dataclass
class Comparison:
    """Metric deltas (new minus old) per group, and the questions that got worse."""

    deltas: dict[str, dict[str, dict[str, float | None]]]
    worse: list[dict[str, Any]]
    better: list[dict[str, Any]]
    old: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_results(path: str | Path) -> dict:
    """A ``results.json`` written by an earlier run (``ValueError`` when it is not one)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read results {path}: {exc}") from exc
    if not isinstance(data, dict) or "summary" not in data or "questions" not in data:
        raise ValueError(f"{path} is not a results.json of `assistant eval`")
    return data


def _change(old: dict, new: dict) -> int:
    """-1 when a question got worse, 1 when better, 0 otherwise (verdict first, then MRR@10)."""
    a, b = VERDICTS.index(old["verdict"]), VERDICTS.index(new["verdict"])
    if a != b:
        return 1 if b > a else -1
    mrr_old, mrr_new = (old.get("scores") or {}).get("mrr@10"), (new.get("scores") or {}).get("mrr@10")
    if mrr_old is not None and mrr_new is not None and abs(mrr_new - mrr_old) > 1e-9:
        return 1 if mrr_new > mrr_old else -1
    return 0


def _change_row(old: dict, new: dict) -> dict[str, Any]:
    return {"id": new["id"], "set": new["set"], "question": new["question"],
            "old_verdict": old["verdict"], "new_verdict": new["verdict"],
            "old_rank": old.get("first_relevant_rank"), "new_rank": new.get("first_relevant_rank"),
            "old_answer": old.get("answer", ""), "new_answer": new.get("answer", "")}


def compare(old: dict, new: dict, old_label: str = "") -> Comparison:
    """Compare two runs (``results.json`` dicts): deltas for shared groups and metrics, and the
    questions present in both whose verdict or MRR@10 changed."""
    deltas: dict[str, dict[str, dict[str, float | None]]] = {}
    old_groups, new_groups = old["summary"].get("groups", {}), new["summary"].get("groups", {})
    for group, metrics in new_groups.items():
        if group not in old_groups:
            continue
        deltas[group] = {}
        for metric, value in metrics.items():
            before = old_groups[group].get(metric)
            delta = None if value is None or before is None else round(value - before, 4)
            deltas[group][metric] = {"old": before, "new": value, "delta": delta}
    previous = {q["id"]: q for q in old["questions"]}
    worse, better = [], []
    for q in new["questions"]:
        if q["id"] in previous:
            change = _change(previous[q["id"]], q)
            if change:
                (worse if change < 0 else better).append(_change_row(previous[q["id"]], q))
    return Comparison(deltas, worse, better, old_label)
