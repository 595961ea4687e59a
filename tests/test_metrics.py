"""Ranking metrics on small, hand-computed cases."""

import math

import pytest

from assistant.evaluation.metrics import mean_metrics, mrr_at_k, ndcg_at_k, recall_at_k, retrieval_metrics

RANKED = ["a", "b", "c", "d", "e"]


def test_recall_counts_relevant_ids_in_the_cut_off():
    assert recall_at_k(RANKED, {"c"}, 1) == 0.0
    assert recall_at_k(RANKED, {"c"}, 3) == 1.0
    assert recall_at_k(RANKED, {"b", "z"}, 5) == 0.5
    assert recall_at_k(RANKED, {"a", "e"}, 10) == 1.0


def test_mrr_is_the_reciprocal_rank_of_the_first_hit_within_k():
    assert mrr_at_k(RANKED, {"c", "e"}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(RANKED, {"a"}, 1) == 1.0
    assert mrr_at_k(RANKED, {"d"}, 3) == 0.0


def test_ndcg_single_relevant_is_one_over_log2_of_rank_plus_one():
    assert ndcg_at_k(RANKED, {"a"}, 10) == 1.0
    assert ndcg_at_k(RANKED, {"c"}, 10) == pytest.approx(0.5)  # 1 / log2(4)
    assert ndcg_at_k(RANKED, {"e"}, 4) == 0.0


def test_ndcg_two_relevant_against_the_ideal_ranking():
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(RANKED, {"b", "d"}, 10) == pytest.approx(expected)
    # ideal is capped at k: one relevant of three fits in k=1
    assert ndcg_at_k(RANKED, {"a", "y", "z"}, 1) == 1.0


def test_repeated_ids_count_once():
    assert recall_at_k(["a", "a", "b"], {"b"}, 2) == 1.0
    assert ndcg_at_k(["a", "a", "b"], {"a"}, 3) == 1.0


def test_no_relevant_ids_or_bad_k_is_an_error():
    with pytest.raises(ValueError):
        recall_at_k(RANKED, set(), 5)
    with pytest.raises(ValueError):
        ndcg_at_k(RANKED, {"a"}, 0)


def test_retrieval_metrics_and_mean():
    one = retrieval_metrics(RANKED, {"b"})
    assert one == pytest.approx(
        {"recall@1": 0.0, "recall@5": 1.0, "recall@10": 1.0, "mrr@10": 0.5, "ndcg@10": 1 / math.log2(3)}
    )
    two = retrieval_metrics([], {"b"})
    assert mean_metrics([one, two])["mrr@10"] == pytest.approx(0.25)
    assert mean_metrics([]) == {}
