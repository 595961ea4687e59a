"""Our ranking metrics against trec_eval's (``pytrec_eval``, the bindings of the reference IR
evaluation tool), on real runs: the top 10 of hybrid search over ``knowledge/`` for every
answerable question of the source and readings sets, judged by the evaluation's own relevance."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def runs(indexed_settings):
    from assistant.evaluation.relevance import RelevanceJudge
    from assistant.evaluation.sets import load_question_sets
    from assistant.retrieval.retriever import open_retriever

    retriever = open_retriever(indexed_settings)
    judge = RelevanceJudge(retriever.index.chunks.values())
    ranked, qrels = {}, {}
    sets = load_question_sets([ROOT / "evals" / "source.jsonl", ROOT / "evals" / "readings.jsonl"])
    for item in (i for s in sets for i in s.items if i.answerable and i.gold_quotes):
        relevant = set().union(*(judge.relevant_ids(q) for q in item.gold_quotes))
        if relevant:
            ranked[item.id] = [p.chunk.id for p in retriever.search(item.question, 10)]
            qrels[item.id] = relevant
    return ranked, qrels


def test_recall_mrr_ndcg_match_trec_eval(runs):
    import pytrec_eval

    from assistant.evaluation.metrics import mrr_at_k, ndcg_at_k, recall_at_k

    ranked, qrels = runs
    assert len(ranked) >= 80
    run = {q: {doc: 1.0 / rank for rank, doc in enumerate(ids, 1)} for q, ids in ranked.items()}
    judged = {q: dict.fromkeys(ids, 1) for q, ids in qrels.items()}
    reference = pytrec_eval.RelevanceEvaluator(judged, {"recall.1,3,5,10", "recip_rank", "ndcg_cut.10"}).evaluate(run)
    for q, ids in ranked.items():
        theirs, relevant = reference[q], qrels[q]
        for k in (1, 3, 5, 10):
            assert recall_at_k(ids, relevant, k) == pytest.approx(theirs[f"recall_{k}"], abs=1e-9), (q, k)
        assert mrr_at_k(ids, relevant, 10) == pytest.approx(theirs["recip_rank"], abs=1e-9), q
        assert ndcg_at_k(ids, relevant, 10) == pytest.approx(theirs["ndcg_cut_10"], abs=1e-9), q
