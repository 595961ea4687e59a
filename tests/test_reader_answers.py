"""The reader in every answer, on the real default collection with the shipped reader weights:
a short answer span with its offsets, a no-answer, a partial answer and a follow-up that brings
new information."""

from __future__ import annotations

import pytest

SOURCE = "diplomasi-siber-dan-liberalisme.md"
BUDAPEST = "konvensi-budapest-dan-konvensi-pbb-kejahatan-siber.md"
CONTINUATION = "pandangan-liberalisme-terhadap-diplomasi-siber.md"


@pytest.fixture(scope="module")
def assistant(indexed_settings):
    from assistant.service import Assistant

    return Assistant(indexed_settings)


def test_a_span_leads_the_answer_and_is_marked_in_its_citation(assistant):
    answer = assistant.ask("Kapan Konvensi Budapest dibuka untuk ditandatangani?")
    assert not answer.abstained
    assert answer.short_answer and "2001" in answer.short_answer
    marked = [c for c in answer.citations if c.answer_start is not None]
    assert len(marked) == 1 and marked[0].source == BUDAPEST
    citation = marked[0]
    assert citation.text[citation.answer_start : citation.answer_end] == answer.short_answer
    assert answer.short_answer in citation.quote  # the span sits inside the quoted sentence
    assert answer.text.startswith(f"Jawaban singkat: {answer.short_answer} [{citation.n}].")
    assert answer.to_json()["citations"][citation.n - 1]["answer_start"] == citation.answer_start


def test_a_span_below_the_readers_own_threshold_leads_when_its_sentence_is_among_the_best(assistant):
    from assistant.answering.reading import SPAN_FLOOR

    question = "Metode diplomatik seperti apa yang dibutuhkan karena karakter dunia maya yang tidak berwujud dan selalu berubah?"
    retriever = assistant.retriever()
    evidence = assistant.evidence(question, retriever.search(question, 10), 5, retriever)
    span = evidence.reading.spans[0] if evidence.reading else None
    assert span is not None and SPAN_FLOOR <= span.margin <= 0  # the reader alone would not answer
    answer = assistant.ask(question)
    expected = "metode diplomatik multi-pemangku kepentingan yang koheren, inventif, gesit, dan adaptif"
    assert answer.short_answer and answer.short_answer.lower().strip(" .") == expected
    assert answer.text.startswith("Jawaban singkat: ")
    assert any(c.source == SOURCE and c.answer_start is not None for c in answer.citations)


def test_the_reader_finds_no_answer_in_a_near_miss(assistant):
    from assistant.service import SIGNAL_DEPTH

    question = "Siapa presiden pertama Indonesia?"
    retriever = assistant.retriever()
    evidence = assistant.evidence(question, retriever.search(question, SIGNAL_DEPTH), 5, retriever)
    assert evidence.reading is not None and evidence.reading.best is None  # no passage answers
    assert evidence.signals.reader_margin < 0
    answer = assistant.ask(question)
    assert answer.short_answer is None  # nothing is offered as the answer to who the first president was
    assert all(c.answer_start is None for c in answer.citations)


def test_the_essay_only_raises_liberalism_and_a_reading_continues_it(assistant):
    answer = assistant.ask("What does the essay say about liberalism?")
    assert answer.partial and not answer.abstained
    first, *rest = answer.citations
    assert first.source == SOURCE and "liberalisme" in first.quote.lower()
    assert rest and all(c.source != SOURCE for c in rest)  # the continuation is cited as another text
    assert any(c.source == CONTINUATION for c in rest)
    assert answer.text.startswith("The source text only raises this:")
    assert "not the essay itself" in answer.text


def test_a_follow_up_does_not_repeat_the_sentence_already_quoted(assistant):
    from assistant.answering.conversation import Conversation

    chat = Conversation(assistant)
    first = chat.ask("Apa saja komponen penting dari persenjataan diplomasi siber?")
    second = chat.ask("Mengapa?")
    assert not first.abstained and not second.abstained
    quoted_first = {c.quote for c in first.citations}
    assert quoted_first and not quoted_first & {c.quote for c in second.citations}


def test_a_question_asked_again_gets_the_same_quote(assistant):
    from assistant.answering.conversation import Conversation

    chat = Conversation(assistant)
    question = "Apa saja komponen penting dari persenjataan diplomasi siber?"
    first, again = chat.ask(question), chat.ask(question + " Tolong jelaskan.")
    assert not first.abstained and not again.abstained
    assert first.citations[0].quote == again.citations[0].quote  # it stands alone: not a follow-up


def test_a_self_contained_question_after_another_is_searched_alone(assistant):
    from assistant.answering.conversation import Conversation

    chat = Conversation(assistant)
    chat.ask("Apa itu diplomasi siber?")
    answer = chat.ask("Apa itu Konvensi Budapest?")
    assert answer.query == "Apa itu Konvensi Budapest?"
    assert answer.citations and answer.citations[0].source == BUDAPEST


def test_the_readers_margin_counts_on_factoid_questions_only():
    """The reader was trained on factoid questions (IDK-MRC/TyDi): on a why/how question its no-answer
    score declines answers it located, so the abstention signal is its margin on factoid questions only."""
    from assistant.answering.reading import Reading, SpanEvidence
    from assistant.answering.signals import factoid_margin
    from assistant.types import Chunk, Passage

    text = "Konvensi Budapest dibuka pada 2001."
    passage = Passage(chunk=Chunk(id="c", source="a.md", text=text, start=0, end=len(text)), score=1.0)
    reading = Reading([SpanEvidence(passage, "2001", 30, 34, -4.0)])
    assert factoid_margin("Kapan Konvensi Budapest dibuka?", reading) == -0.4
    assert factoid_margin("Who drafted the Budapest Convention?", reading) == -0.4
    assert factoid_margin("Mengapa Konvensi Budapest penting?", reading) == 0.0
    assert factoid_margin("Why does the essay call cooperation fragmented?", reading) == 0.0
    assert factoid_margin("Kapan Konvensi Budapest dibuka?", None) == 0.0
    assert factoid_margin("Siapa yang menulisnya?", Reading([SpanEvidence(passage, "2001", 30, 34, -60.0)])) == -1.0


def test_an_answer_lists_first_the_passage_the_reader_finds_the_answer_in():
    from assistant.answering.reading import Reading, SpanEvidence, reader_order
    from assistant.types import Chunk, Passage

    def passage(i: int, score: float) -> Passage:
        text = f"Teks bacaan nomor {i}."
        return Passage(chunk=Chunk(id=f"c{i}", source="a.md", text=text, start=0, end=len(text)), score=score)

    found = [passage(0, 1.0), passage(1, 0.99), passage(2, 0.6), passage(3, 0.5)]
    reading = Reading(
        [SpanEvidence(found[1], "nomor 1", 5, 12, 4.0)] + [SpanEvidence(p, "", 0, 0, -8.0) for p in found[::2]]
    )
    assert [p.chunk.id for p in reader_order(found, reading)] == ["c1", "c0", "c2", "c3"]  # c3 was not read
    assert [p.chunk.id for p in reader_order(found, reading, weight=0.0)] == ["c0", "c1", "c2", "c3"]
    assert reader_order(found, None) == found
    close = Reading([SpanEvidence(found[2], "nomor 2", 5, 12, -2.0), SpanEvidence(found[0], "nomor 0", 5, 12, -2.5)])
    assert [p.chunk.id for p in reader_order(found, close)] == ["c0", "c2", "c1", "c3"]  # a small margin gap: retrieval
