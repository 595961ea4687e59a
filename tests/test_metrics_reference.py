"""Our ranking metrics against trec_eval's (``pytrec_eval``, the bindings of the reference IR
evaluation tool), on real runs: the top 10 of hybrid search over ``knowledge/`` for every
answerable question of the source and readings sets, judged by the evaluation's own relevance."""

from __future__ import annotations

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="module")
def runs(indexed_settings):
    """(top-10 chunk ids, relevant ids of each gold quote) per answerable question with a match."""
    from assistant.evaluation.relevance import RelevanceJudge
    from assistant.evaluation.sets import load_question_sets
    from assistant.retrieval.retriever import open_retriever

    retriever = open_retriever(indexed_settings)
    judge = RelevanceJudge(retriever.index.chunks.values())
    ranked, per_quote = {}, {}
    sets = load_question_sets([ROOT / "evals" / "source.jsonl", ROOT / "evals" / "readings.jsonl"])
    for item in (i for s in sets for i in s.items if i.answerable and i.gold_quotes):
        quotes = [judge.relevant_ids(q) for q in item.gold_quotes]
        if any(quotes):
            ranked[item.id] = [p.chunk.id for p in retriever.search(item.question, 10)]
            per_quote[item.id] = quotes
    return ranked, per_quote


def _trec_eval(ranked: dict[str, list[str]], qrels: dict[str, set[str]], measures: set[str]) -> dict[str, dict]:
    import pytrec_eval

    run = {q: {doc: 1.0 / rank for rank, doc in enumerate(ids, 1)} for q, ids in ranked.items()}
    judged = {q: dict.fromkeys(ids, 1) for q, ids in qrels.items()}
    return pytrec_eval.RelevanceEvaluator(judged, measures).evaluate(run)


def test_recall_mrr_ndcg_match_trec_eval(runs):
    from assistant.evaluation.metrics import mrr_at_k, ndcg_at_k, recall_at_k

    ranked, per_quote = runs
    assert len(ranked) >= 80
    qrels = {q: set().union(*quotes) for q, quotes in per_quote.items()}
    reference = _trec_eval(ranked, qrels, {"recall.1,3,5,10", "recip_rank", "ndcg_cut.10"})
    for q, ids in ranked.items():
        theirs, relevant = reference[q], qrels[q]
        for k in (1, 3, 5, 10):
            assert recall_at_k(ids, relevant, k) == pytest.approx(theirs[f"recall_{k}"], abs=1e-9), (q, k)
        assert mrr_at_k(ids, relevant, 10) == pytest.approx(theirs["recip_rank"], abs=1e-9), q
        assert ndcg_at_k(ids, relevant, 10) == pytest.approx(theirs["ndcg_cut_10"], abs=1e-9), q


def test_the_evaluation_s_scores_match_trec_eval(runs):
    """``ranking_scores``, which the evaluation reports and the gate checks: recall@k is per gold
    quote (a quote is found when any chunk holding it is in the top k), i.e. trec_eval's success@k
    of each quote judged on its own, averaged over the question's quotes; MRR and nDCG judge the
    chunks of all its quotes together."""
    from assistant.evaluation.metrics import ranking_scores

    ranked, per_quote = runs
    assert sum(len(quotes) > 1 for quotes in per_quote.values()) >= 5  # questions with several quotes
    by_quote = {f"{q}#{n}": ids for q, quotes in per_quote.items() for n, ids in enumerate(quotes) if ids}
    success = _trec_eval({key: ranked[key.split("#")[0]] for key in by_quote}, by_quote, {"success.1,3,5,10"})
    union = _trec_eval(
        ranked, {q: set().union(*quotes) for q, quotes in per_quote.items()}, {"recip_rank", "ndcg_cut.10"}
    )
    for q, ids in ranked.items():
        ours = ranking_scores(ids, per_quote[q])
        for k in (1, 3, 5, 10):
            theirs = [success[f"{q}#{n}"][f"success_{k}"] if quote else 0.0 for n, quote in enumerate(per_quote[q])]
            assert ours[f"recall@{k}"] == pytest.approx(sum(theirs) / len(theirs), abs=1e-9), (q, k)
        assert ours["mrr@10"] == pytest.approx(union[q]["recip_rank"], abs=1e-9), q
        assert ours["ndcg@10"] == pytest.approx(union[q]["ndcg_cut_10"], abs=1e-9), q
