"""The assistant service: the one object the CLI, the web app and the evaluation runner use.

>>> assistant = Assistant(load_settings())            # doctest: +SKIP
>>> answer = assistant.ask("Apa itu diplomasi siber?")  # doctest: +SKIP
>>> for item in assistant.stream("What is cyber diplomacy?"):  # doctest: +SKIP
...     print(item if isinstance(item, str) else item.citations)

``stream`` yields text deltas, then the final :class:`~assistant.types.Answer`. The final
Answer is authoritative: after an LLM reply is checked its markers may be renumbered, and when
the LLM fails the Answer holds the extractive answer (with a note) instead of the streamed text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from assistant.answering.abstention import abstention, answerable_probability
from assistant.answering.conversation import is_follow_up, resolve_query
from assistant.answering.extractive import extractive_answer
from assistant.answering.llm import FALLBACK_NOTE, stream_llm_answer
from assistant.answering.partial import partial_answer, raised_by_source
from assistant.answering.prompts import answer_variables, rewrite_variables
from assistant.answering.questions import check_history, check_k, check_question
from assistant.answering.reading import Reading, read_passages, reader_order
from assistant.answering.scoring import Sentence, SentenceScorer
from assistant.answering.signals import Signals, compute_signals
from assistant.answering.terms import TermWeights, term_alternatives
from assistant.config import Settings
from assistant.index.lexical import load_term_counts
from assistant.index.vector_cache import VectorCache
from assistant.llms.chain import invoke_chain, stream_chain
from assistant.llms.registry import chat_model, check_name
from assistant.redaction import redact_for
from assistant.retrieval.retriever import Retriever, open_retriever
from assistant.text.language import detect_language
from assistant.text.query import refers_to_source
from assistant.types import Answer, Passage

SIGNAL_DEPTH = 20  # passages retrieved for the abstention signals (the answer uses the first k)


@dataclass
class Evidence:
    """What the answerer works from: passages, their scored sentences and the abstention signals."""

    passages: list[Passage]
    sentences: list[Sentence]
    signals: Signals
    confidence: float
    scoped: bool = False  # the question asks about the source text only
    reading: Reading | None = None  # the reader's spans over ``passages``


class Assistant:
    """Retrieval plus answering over the indexed collections, configured by ``settings``.

    Nothing heavy is loaded until needed; retrievers are cached per collection and reopened
    when a newer index snapshot has been published.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._retrievers: dict[str, Retriever] = {}
        self._scorers: dict[str, SentenceScorer] = {}
        self._weights: dict[str, TermWeights] = {}
        self._lock = threading.Lock()

    def retriever(self, collection: str | None = None) -> Retriever:
        """The retriever of a collection (raises ``StoreError`` when it is not indexed)."""
        name = collection or self.settings.collection
        with self._lock:
            current = self._retrievers.get(name)
            if current is None or current.index.is_stale():  # a new snapshot: maybe another process's
                current = self._retrievers[name] = open_retriever(self.settings, name, fresh=current is not None)
            return current

    def scorer(self, retriever: Retriever) -> SentenceScorer:
        """The sentence scorer for a retriever's embedder (sentence vectors cached on disk)."""
        embedder = retriever.index.embedder
        with self._lock:
            if embedder.id not in self._scorers:
                cache = VectorCache(self.settings.vector_cache_dir / "vectors.sqlite")
                self._scorers[embedder.id] = SentenceScorer(embedder, cache)
            return self._scorers[embedder.id]

    def term_weights(self, retriever: Retriever) -> TermWeights:
        """IDF of content words over the retriever's snapshot: the counts saved at index time
        (computed here, once per snapshot, only for snapshots written before they were saved)."""
        folder = retriever.index.snapshot.folder
        with self._lock:
            if str(folder) not in self._weights:
                counts = load_term_counts(folder / "lexical")
                self._weights[str(folder)] = (
                    TermWeights.from_counts(*counts)
                    if counts
                    else TermWeights([c.text for c in retriever.index.chunks.values()])
                )
            return self._weights[str(folder)]

    def reader(self):
        """The reading-comprehension model (loaded once per process), or None when switched off."""
        if not self.settings.reader:
            return None
        from assistant.models.reader import WEIGHTS_DIR, get_reader  # torch: loaded on the first answer

        return get_reader(self.settings.reader_weights or WEIGHTS_DIR, int8=self.settings.reader_int8)

    def available_llms(self) -> list[str]:
        """Answerer names offered to users: ``extractive`` first, then the configured LLMs."""
        names = ["extractive", *self.settings.llms]
        if self.settings.llm not in names:
            names.append(self.settings.llm)
        return list(dict.fromkeys(names))

    def warm_up(self, collection: str | None = None) -> None:
        """Load the index, the embedder and the default LLM, and answer one question."""
        if self.settings.llm != "extractive":
            chat_model(check_name(self.settings.llm), self.settings)
        self.ask("Apa itu diplomasi siber?", collection=collection, llm="extractive")

    def ask(
        self,
        question: str,
        *,
        collection: str | None = None,
        llm: str | None = None,
        k: int | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> Answer:
        """Answer one question with citations (or decline); see :meth:`stream`."""
        answer = None
        for item in self.stream(question, collection=collection, llm=llm, k=k, history=history):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        *,
        collection: str | None = None,
        llm: str | None = None,
        k: int | None = None,
        history: list[tuple[str, str]] | None = None,
    ) -> Iterator[str | Answer]:
        """Yield text deltas as they are produced, then the final :class:`Answer`.

        Parameters
        ----------
        question : str
            The question as asked.
        collection : str, optional
            Collection name (default: ``settings.collection``).
        llm : str, optional
            ``extractive`` or an LLM name such as ``hf:smollm2`` (default: ``settings.llm``).
        k : int, optional
            Passages given to the answerer (default: ``settings.top_k``).
        history : list of (question, answer_text), optional
            Previous turns; a follow-up question is resolved against them before retrieval.

        Raises
        ------
        QuestionError
            For an empty question, a malformed history or ``k`` out of range
            (:mod:`assistant.answering.questions`; a long question is cut, with a note).
        LLMError
            For an unknown LLM name.
        StoreError
            For a collection that is not indexed.
        """
        started = time.perf_counter()
        question, note = check_question(question, self.settings.max_question_chars)  # QuestionError: a usage error
        history = check_history(history, self.settings.max_question_chars)
        llm = check_name(llm or self.settings.llm)
        k = check_k(k) or self.settings.top_k
        language = detect_language(question)
        retriever = self.retriever(collection)
        query = resolve_query(question, history, self._rewriter(llm))
        found = retriever.search(query, max(k, SIGNAL_DEPTH))
        retrieved = time.perf_counter()
        # a follow-up is not answered with what was quoted already; a question that stands alone may be
        earlier = [text for _, text in history or []] if is_follow_up(question) else []
        answer = yield from self._answer(question, query, language, found, k, llm, retriever, earlier)
        answer.question, answer.query, answer.language = question, query, language
        if note:
            answer.notes.insert(0, note)
        answer.timings = {
            "retrieve": retrieved - started,
            "answer": time.perf_counter() - retrieved,
            "total": time.perf_counter() - started,
        }
        yield answer

    def _rewriter(self, llm: str):
        if llm == "extractive":
            return None
        return lambda question, history: invoke_chain(
            "rewrite", llm, self.settings, rewrite_variables(question, history)
        )

    def evidence(
        self, query: str, found: list[Passage], k: int, retriever: Retriever, scope: bool | None = None
    ) -> Evidence:
        """Scored sentences, the reader's spans and the abstention signals for ``query`` over its
        retrieved passages.

        A question about the source text ("according to the essay…") is answered from the
        source's passages only, when the collection has a source: a reading that restates or
        continues the essay is not evidence of what the essay says. ``scope`` overrides that
        decision (False: read every passage alike).
        """
        scorer = self.scorer(retriever)
        weights = self.term_weights(retriever)
        scoped = refers_to_source(query) and retriever.index.has_source if scope is None else scope
        if scoped:  # the source's passages among all retrieved, best first, then the others
            own = [p for p in found if p.chunk.metadata.get("kind") == "source"]
            found = own + [p for p in found if p.chunk.metadata.get("kind") != "source"]
            passages = own[:k]
        else:
            passages = found[:k]
        expansion = retriever.expansion(query)
        rendering = (expansion.target, expansion.rendering) if expansion else None
        alternatives = term_alternatives(query, retriever.index.glossary)
        sentences = scorer.sentences(query, passages, weights=weights, rendering=rendering, alternatives=alternatives)
        reading = self.read(query, passages, rendering)
        signals = compute_signals(query, found, sentences, k, weights, alternatives, reading) if passages else Signals()
        return Evidence(passages or found[:k], sentences, signals, answerable_probability(signals), scoped, reading)

    def read(self, query: str, passages: list[Passage], rendering: tuple[str, str] | None) -> Reading | None:
        """The reader's spans over ``passages``; a question in the other language than the top
        passage is also read in its glossary rendering."""
        reader = self.reader()
        if reader is None or not passages:
            return None
        other = (
            rendering is not None
            and passages[0].chunk.metadata.get("language") == rendering[0]
            and detect_language(query) != rendering[0]
        )
        return read_passages(reader, query, passages, rendering[1] if other and rendering else None)

    def partial(
        self,
        question: str,
        query: str,
        language: str,
        found: list[Passage],
        k: int,
        retriever: Retriever,
        evidence: Evidence,
    ) -> Answer | None:
        """For a question about the source text that the source only raises (a heading, an open
        question) while a related reading answers it: what the source says and what the reading
        that continues it says. None when the source does not raise it or no reading answers."""
        weights = self.term_weights(retriever)
        alternatives = term_alternatives(query, retriever.index.glossary)
        raised = raised_by_source(query, evidence.passages, weights, alternatives)
        if raised is None:
            return None
        others = [p for p in found if p.chunk.metadata.get("kind") != "source"]
        other = self.evidence(query, others, k, retriever, scope=False)
        if not others or other.confidence < self.settings.abstain_threshold:
            return None
        answer = partial_answer(
            question,
            language,
            raised,
            other.sentences,
            other.reading,
            found[:k],
            limit=max(1, self.settings.answer_sentences - 1),
        )
        if answer is not None:
            answer.confidence = other.confidence
        return answer

    def _answer(
        self,
        question: str,
        query: str,
        language: str,
        found: list[Passage],
        k: int,
        llm: str,
        retriever: Retriever,
        earlier: list[str],
    ):
        evidence = self.evidence(query, found, k, retriever)
        passages, sentences, confidence = evidence.passages, evidence.sentences, evidence.confidence
        found_k = found[:k]
        if not evidence.scoped:  # then the passages are found[:k]: list them in the reader's order
            found_k = passages = reader_order(passages, evidence.reading)
        answer = None
        if confidence < self.settings.abstain_threshold:
            if evidence.scoped:
                answer = self.partial(question, query, language, found, k, retriever, evidence)
            answer = answer or abstention(question, language, found_k, confidence, scoped=evidence.scoped)
        elif llm == "extractive":
            answer = extractive_answer(
                question, language, passages, sentences, self.settings.answer_sentences, evidence.reading, earlier
            )
            answer.passages = found_k
        else:
            answer = yield from self._llm_answer(question, language, passages, sentences, self.scorer(retriever), llm)
        if answer.llm == "extractive" or answer.abstained:
            yield answer.text
        if not answer.partial:
            answer.confidence = confidence
        return answer

    def _llm_answer(self, question, language, passages, sentences, scorer, llm: str):
        variables = answer_variables(question, language, passages)
        try:
            chat_model(llm, self.settings)  # load first: the deadline is for generating
            deltas = stream_chain("answer", llm, self.settings, variables)  # prompt | model | parser, with deadline
            answer: Answer | None = None
            for item in stream_llm_answer(question, language, passages, scorer, deltas):
                if isinstance(item, str):
                    yield item
                else:
                    answer = item
            if answer is None:
                raise RuntimeError("the LLM answer stream ended without an answer")
            answer.llm = llm
            return answer
        except Exception as exc:  # any backend failure falls back to the extractive answer
            answer = extractive_answer(question, language, passages, sentences, self.settings.answer_sentences)
            reason = redact_for(self.settings, f"{type(exc).__name__}: {exc}")[:300]
            answer.notes.append(FALLBACK_NOTE[language].format(reason=reason))
            answer.fallback = reason
            return answer
