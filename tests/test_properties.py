"""Property-based tests (hypothesis): what must hold for any input, not just the examples we wrote.

- Chunk offsets: for arbitrary text, every chunk's text is exactly the document's text between its
  offsets, chunks are in order and cover every paragraph's words, through the chunker alone and
  through the cleaning path every loader shares.
- The citation contract, over generated questions against the real ``knowledge/`` index: every
  ``[n]`` in an answer has exactly one citation, every citation is used, and every quote is a
  verbatim substring of its passage, which is the chunk's text at its offsets.

Example counts are kept small (the answers use the real embedder and reader).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.index.chunking import chunk_document
from assistant.ingest.cleaning import Block, assemble, split_paragraphs
from assistant.types import Document

MARKER = re.compile(r"\[(\d+)\]")
WORDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    min_size=1,
    max_size=12,
)
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "? ", "\n", "\n\n", "\t", "  ", "\u00a0", "… "])
TEXTS = st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=200).map(
    lambda parts: "".join(w + s for w, s in parts)
)
CHUNKING = st.sampled_from([(120, 20), (300, 60), (900, 150)])


def _check_offsets(document: Document, size: int, overlap: int) -> None:
    chunks = chunk_document(document, size, overlap)
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(document.text)
        assert chunk.text == document.text[chunk.start : chunk.end]
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    assert len({c.id for c in chunks}) == len(chunks)  # ids are unique within a document
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    missing = [i for i, ch in enumerate(document.text) if not ch.isspace() and i not in covered]
    assert not missing, f"characters outside every chunk: {[document.text[i] for i in missing[:10]]}"


@settings(max_examples=60, deadline=None, database=None)
@given(text=TEXTS, chunking=CHUNKING)
def test_chunk_text_is_the_document_slice_at_its_offsets(text, chunking):
    size, overlap = chunking
    _check_offsets(Document(source="acak.txt", text=text), size, overlap)


@settings(max_examples=40, deadline=None, database=None)
@given(text=TEXTS, chunking=CHUNKING)
def test_offsets_hold_through_the_cleaning_every_loader_uses(text, chunking):
    blocks = [Block(p) for p in split_paragraphs(text)]
    if not any(b.text.strip() for b in blocks):
        return
    try:
        document = assemble("acak.md", blocks, {"title": "acak"})
    except Exception as exc:  # only "no text found" may stop it: a block of invisible characters
        assert "no text found" in str(exc)
        return
    _check_offsets(document, *chunking)


@pytest.fixture(scope="module")
def assistant(indexed_settings):
    from assistant.service import Assistant

    return Assistant(indexed_settings)


@pytest.fixture(scope="module")
def vocabulary(indexed_settings):
    """Words of the indexed readings, so generated questions touch real passages."""
    from assistant.index.snapshots import CollectionPaths

    chunks = CollectionPaths(indexed_settings, indexed_settings.collection).current_snapshot().chunks
    words = {w for c in chunks for w in re.findall(r"[^\W\d_]{4,}", c.text)}
    return sorted(words)[:3000]


QUESTION_FRAMES = st.sampled_from(["Apa itu {}?", "Mengapa {}?", "What is {}?", "How does {} work?", "{}", "{} ?"])


@settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_citation_contract_holds_for_generated_questions(assistant, vocabulary, data):
    words = data.draw(st.lists(st.sampled_from(vocabulary), min_size=1, max_size=6), label="words")
    noise = data.draw(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8))
    frame = data.draw(QUESTION_FRAMES, label="frame")
    question = frame.format(" ".join(words)) + (" " + noise if noise.strip() else "")
    answer = assistant.ask(question)
    index = assistant.retriever().index
    numbers = [c.n for c in answer.citations]
    assert len(numbers) == len(set(numbers)), "two citations share a number"
    used = {int(n) for n in MARKER.findall(answer.text)}
    if answer.abstained:
        assert not used - set(numbers)
    else:
        assert used == set(numbers), (answer.text, numbers)
    for citation in answer.citations:
        chunk = index.chunks[citation.chunk_id]
        assert citation.text == chunk.text
        assert citation.quote and citation.quote in citation.text
