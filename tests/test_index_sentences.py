"""Index-time work: a sync embeds the answerer's sentences of new chunks into the vector cache, so the
first answer on a new reading embeds nothing but the question."""

from __future__ import annotations

import numpy as np

from assistant.answering.scoring import SentenceScorer
from assistant.index.embeddings import load_embedder
from assistant.index.sync import sync_collection
from assistant.index.vector_cache import VectorCache, embed_passages_cached
from assistant.retrieval.retriever import open_retriever
from assistant.text.sentences import chunk_sentences, sentence_texts

READING = (
    "# Langkah membangun kepercayaan\n\n"
    "Langkah membangun kepercayaan membantu negara mengurangi salah persepsi di ruang siber. "
    "Negara-negara OSCE menyepakati enam belas langkah pada tahun 2016. "
    "Apakah langkah itu mengikat secara hukum? Tidak, langkah itu sukarela.\n\n"
    "Kerja sama regional memperkuat pelaksanaannya melalui titik kontak nasional."
)


class Counting:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, embedder):
        self.inner, self.id, self.dim, self.calls = embedder, embedder.id, embedder.dim, []

    def embed_passages(self, texts):
        self.calls.append(list(texts))
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


def test_sentence_texts_cover_both_heading_modes_once():
    texts = sentence_texts(READING)
    spans = [*chunk_sentences(READING), *chunk_sentences(READING, headings=True)]
    assert set(texts) == {READING[a:b] for a, b in spans}
    assert len(texts) == len(set(texts)) and "# Langkah membangun kepercayaan" in texts


def test_extra_texts_are_cached_but_not_returned(tmp_path):
    embedder = Counting(load_embedder("e5-small-q4"))
    cache = VectorCache(tmp_path / "v.sqlite")
    vectors, embedded = embed_passages_cached(embedder, ["satu dua", "tiga"], cache, 8, extra=["empat lima", "tiga"])
    assert vectors.shape == (2, 384) and embedded == 2
    assert embedder.calls == [["satu dua", "tiga", "empat lima"]]
    assert cache.missing(embedder.id, ["empat lima", "enam", "tiga"]) == ["enam"]
    assert np.allclose(cache.get_many(embedder.id, ["tiga"])[VectorCache.key("tiga")], vectors[1])


def test_first_answer_after_sync_embeds_no_sentence(make_settings, write):
    settings = make_settings(knowledge_dir=write.folder, cache_dir=write.folder.parent / "fresh-cache")
    write("langkah.md", READING)
    sync_collection(settings)
    retriever = open_retriever(settings)
    passages = retriever.search("Berapa langkah yang disepakati OSCE?", 5)
    embedder = Counting(retriever.index.embedder)
    scorer = SentenceScorer(embedder, VectorCache(settings.vector_cache_dir / "vectors.sqlite"))
    for question in ("Berapa langkah yang disepakati OSCE?", "Apa judul bagian tentang langkah membangun kepercayaan?"):
        found = scorer.sentences(question, passages)
        assert found and all(s.vector is not None for s in found)
    assert embedder.calls == []
