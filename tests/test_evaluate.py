"""Evaluation core: set loading, relevance, each metric on hand-computed cases, summaries,
thresholds and comparison. Fast: no models (a small fake service stands in for ``Assistant``)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from assistant.errors import SetError
from assistant.evaluation.comparison import compare, load_results
from assistant.evaluation.metrics import (
    RETRIEVAL_METRICS,
    abstention_scores,
    percentile,
    quote_recall_at_k,
    ranking_scores,
    token_f1,
)
from assistant.evaluation.relevance import RelevanceJudge, find_spans
from assistant.evaluation.results import QuestionResult, score_question, verdict
from assistant.evaluation.runner import run_sets
from assistant.evaluation.sets import EvalItem, load_question_set, load_question_sets
from assistant.evaluation.summaries import group_metrics, summarize
from assistant.evaluation.thresholds import Threshold, check_thresholds, load_thresholds, parse_threshold
from assistant.types import Answer, Chunk, Citation, Passage

# ----------------------------------------------------------------------------- question sets


def _write_set(tmp_path, name, rows):
    path = tmp_path / f"{name}.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


Q1 = {"id": "a1", "question": "What?", "lang": "en", "answerable": True, "gold_quotes": ["alpha beta"]}
U1 = {"id": "u1", "question": "Who?", "lang": "id", "answerable": False}
CONV = {
    "id": "c1",
    "lang": "id",
    "turns": [
        {"question": "Apa itu X?", "answerable": True, "gold_quotes": ["x"]},
        {"question": "Dan Y?", "lang": "en", "answerable": False},
    ],
}


def test_load_set_with_questions_and_conversation_turns(tmp_path):
    qs = load_question_set(_write_set(tmp_path, "mine", [Q1, "", U1, CONV]))
    assert qs.name == "mine" and len(qs.cases) == 3
    assert [i.id for i in qs.items] == ["a1", "u1", "c1/1", "c1/2"]
    turn1, turn2 = qs.cases[2]
    assert (turn1.conversation, turn1.turn, turn1.lang) == ("c1", 1, "id")
    assert (turn2.turn, turn2.lang, turn2.answerable) == (2, "en", False)
    assert all(i.set_name == "mine" for i in qs.items)


@pytest.mark.parametrize(
    "row, message",
    [
        ("{not json", "invalid JSON"),
        ({**Q1, "gold_quotes": []}, "needs 'gold_quotes'"),
        ({**U1, "gold_quotes": ["q"]}, "has no 'gold_quotes'"),
        ({**Q1, "lang": "fr"}, "'lang'"),
        ({**Q1, "answerable": "yes"}, "'answerable'"),
        ({**Q1, "question": " "}, "'question'"),
        ({"id": "c", "lang": "id", "turns": []}, "'turns'"),
    ],
)
def test_load_set_rejects_broken_entries_with_file_and_line(tmp_path, row, message):
    path = _write_set(tmp_path, "bad", [Q1, row])
    with pytest.raises(SetError, match=message) as info:
        load_question_set(path)
    assert f"{path}:2" in str(info.value)


def test_ids_must_be_unique_within_and_across_sets(tmp_path):
    with pytest.raises(SetError, match="repeated"):
        load_question_set(_write_set(tmp_path, "dup", [Q1, Q1]))
    first = _write_set(tmp_path, "one", [Q1])
    second = _write_set(tmp_path, "two", [Q1])
    with pytest.raises(SetError, match="in both one and two"):
        load_question_sets([first, second])


def test_the_project_sets_load():
    from tests.helpers import ROOT

    sets = load_question_sets(sorted((ROOT / "evals").glob("*.jsonl")))
    counts = {qs.name: len(qs.items) for qs in sets}
    assert counts == {"conversations": 34, "readings": 67, "source": 56}


# ----------------------------------------------------------------------------- relevance


def test_find_spans_ignores_case_and_whitespace_and_maps_back_to_offsets():
    text = "Intro.\n\nThe  Quick\nbrown fox.  the quick brown dog"
    spans = find_spans(text, "the quick BROWN")
    assert spans == [(8, 24), (31, 46)]
    assert text[8:24] == "The  Quick\nbrown" and text[31:46] == "the quick brown"
    assert find_spans(text, "purple") == []


def _chunk(cid, source, doc, start, end):
    return Chunk(cid, source, doc[start:end], start, end)


DOC = "Alpha one two. Beta gamma delta epsilon. Zeta eta theta."
CHUNKS = [
    _chunk("c1", "a.md", DOC, 0, 20),
    _chunk("c2", "a.md", DOC, 15, 40),
    _chunk("c3", "a.md", DOC, 41, 56),
    Chunk("o1", "b.md", "Something else entirely here.", 0, 29),
]


def test_relevance_by_containment_and_by_span_overlap():
    judge = RelevanceJudge(CHUNKS)
    assert judge.documents["a.md"][15:40] == DOC[15:40]
    # contained in c2 only; c1 (0-20) overlaps its span (15-40) by "Beta "
    assert judge.relevant_ids("beta gamma DELTA epsilon") == {"c1", "c2"}
    # not contained in any chunk, but overlapping c3 and c2 via its span
    assert judge.relevant_ids("epsilon. Zeta") == {"c2", "c3"}
    assert judge.relevant_ids("theta") == {"c3"}
    # same offsets in another document are not relevant
    assert not judge.relevant("b.md", 15, 40, "Something else", "beta gamma")
    assert judge.is_relevant("a.md", 50, 56, "theta.", ["nothing", "theta"])
    assert judge.missing(["theta", "absent words"]) == ["absent words"]


# ----------------------------------------------------------------------------- ranking metrics


def test_ranking_scores_on_a_hand_computed_ranking():
    # relevant a (quote 1) and b (quote 2) at ranks 2 and 4
    scores = ranking_scores(["x", "a", "y", "b", "z"], [{"a"}, {"b"}])
    assert scores["recall@1"] == 0.0
    assert scores["recall@3"] == 0.5
    assert scores["recall@5"] == scores["recall@10"] == 1.0
    assert scores["mrr@10"] == 0.5
    ideal = 1 + 1 / math.log2(3)
    assert scores["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert scores["ndcg@10"] == pytest.approx(0.6509, abs=1e-4)


def test_quote_recall_counts_a_quote_once_even_in_two_overlapping_chunks():
    per_quote = [{"c1", "c2"}]
    assert quote_recall_at_k(["c1", "c2", "x"], per_quote, 1) == 1.0
    scores = ranking_scores(["c1", "x"], per_quote)
    assert scores["recall@1"] == 1.0 and scores["mrr@10"] == 1.0
    assert scores["ndcg@10"] == pytest.approx(1 / (1 + 1 / math.log2(3)))  # c2 missing from the ranking


def test_ranking_scores_without_any_relevant_chunk_are_zero():
    assert set(ranking_scores(["x", "y"], [set()]).values()) == {0.0}


# ----------------------------------------------------------------------------- answer metrics


def test_abstention_confusion_matrix():
    # 5 unanswerable: 3 abstained (TP), 2 answered (FN); 5 answerable: 1 abstained (FP), 4 answered (TN)
    answerable = [False] * 5 + [True] * 5
    abstained = [True, True, True, False, False, True, False, False, False, False]
    s = abstention_scores(answerable, abstained)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (3, 1, 2, 4)
    assert s["abstention_precision"] == 0.75
    assert s["abstention_recall"] == 0.6
    assert s["abstention_f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert s["answered_rate"] == 0.8


def test_abstention_metrics_are_undefined_without_positives():
    s = abstention_scores([True, True], [False, False])
    assert s["abstention_precision"] is None and s["abstention_recall"] is None and s["abstention_f1"] is None
    assert abstention_scores([False], [False])["abstention_recall"] == 0.0


def test_token_f1():
    assert token_f1("Menurut bacaan: norma siber [1].", "norma siber") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("To repel attacks [1][2]", "to repel attacks.") == 1.0
    assert token_f1("nothing shared", "other words") == 0.0
    assert token_f1("", "") == 1.0


def test_percentile_interpolates():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([], 95) is None


# ----------------------------------------------------------------------------- scoring one question


def _passage(chunk, rank, score=1.0):
    return Passage(chunk, score, rank=rank)


def _citation(n, chunk, quote):
    return Citation(n, chunk.id, chunk.source, chunk.source, "", chunk.text, quote, chunk.start, chunk.end)


def _item(**kw):
    values = {
        "id": "q",
        "question": "?",
        "lang": "en",
        "answerable": True,
        "gold_quotes": ["gamma delta"],
        "set_name": "s",
    }
    values.update(kw)
    return EvalItem(**values)


def test_score_question_marks_relevant_passages_citations_and_invalid_quotes():
    judge = RelevanceJudge(CHUNKS)
    chunks = {c.id: c for c in CHUNKS}
    ranking = [_passage(CHUNKS[3], 1), _passage(CHUNKS[1], 2), _passage(CHUNKS[2], 3)]
    answer = Answer(
        "It is gamma [1] and zeta [2].",
        citations=[_citation(1, CHUNKS[1], "Beta gamma delta epsilon."), _citation(2, CHUNKS[2], "Zeta made up")],
        timings={"retrieve": 0.1, "answer": 0.2, "total": 0.3},
        query="?",
    )
    result = score_question(_item(reference_answer="gamma delta"), answer, ranking, judge, chunks)
    assert [r["relevant"] for r in result.retrieved] == [False, True, False]
    assert result.first_relevant_rank == 2 and result.scores["mrr@10"] == 0.5
    assert [c["relevant"] for c in result.citations] == [True, False]
    assert [c["quote_valid"] for c in result.citations] == [True, False]
    assert verdict(result) == "invalid quote"
    assert result.token_f1 == pytest.approx(token_f1(answer.text, "gamma delta"))


@pytest.mark.parametrize(
    "answerable, abstained, relevant, expected",
    [
        (True, False, True, "ok"),
        (True, False, False, "unsupported"),
        (True, True, False, "false abstention"),
        (False, True, False, "ok"),
        (False, False, False, "should abstain"),
    ],
)
def test_verdicts(answerable, abstained, relevant, expected):
    result = QuestionResult(
        "q", "s", "?", "en", answerable, abstained=abstained, citations=[{"relevant": relevant, "quote_valid": True}]
    )
    assert verdict(result) == expected
    result.error = "boom"
    assert verdict(result) == "error"


def _result(qid, answerable, abstained, relevant_cites, lang="en", set_name="s", mrr=1.0, f1=None, total=1.0):
    cites = [{"relevant": r, "quote_valid": True} for r in relevant_cites]
    result = QuestionResult(
        qid,
        set_name,
        "?",
        lang,
        answerable,
        abstained=abstained,
        citations=cites,
        token_f1=f1,
        timings={"retrieve": total / 2, "answer": total / 2, "total": total},
    )
    if answerable:
        result.scores = {**{k: mrr for k in RETRIEVAL_METRICS}}
    result.verdict = verdict(result)
    return result


def test_group_metrics_pool_citations_and_questions():
    results = [
        _result("a", True, False, [True, False, False], mrr=1.0, f1=0.5, total=1.0),
        _result("b", True, False, [True], mrr=0.5, f1=1.0, total=2.0),
        _result("c", True, True, [], mrr=0.0, total=3.0),
        _result("d", False, True, [], total=4.0),
        _result("e", False, False, [False], total=5.0),
    ]
    m = group_metrics(results)
    assert m["citation_precision"] == 0.5  # 2 relevant of 4 citations on answerable questions
    assert m["citation_recall"] == round(2 / 3, 4)  # a and b of three answerable
    assert m["quote_validity"] == 1.0
    assert m["mrr@10"] == 0.5 and m["token_f1"] == 0.75
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (1, 1, 1, 2)
    assert m["abstention_f1"] == 0.5
    assert m["ok_rate"] == 0.6  # a, b, d
    assert m["total_p50"] == 3.0 and m["total_p95"] == pytest.approx(4.8)
    assert (m["n"], m["answerable"], m["unanswerable"], m["abstained"]) == (5, 3, 2, 2)


def test_summary_groups_by_set_language_and_answerability():
    results = [
        _result("a", True, False, [True], lang="id", set_name="one"),
        _result("b", False, False, [], lang="en", set_name="one"),
        _result("c", True, True, [], lang="en", set_name="two"),
    ]
    summary = summarize(results, ["one", "two"], {"llm": "x"})
    groups = summary["groups"]
    assert summary["llm"] == "x" and summary["verdicts"]["should abstain"] == 1
    assert groups["all"]["n"] == 3 and groups["one"]["n"] == 2 and groups["two/en"]["n"] == 1
    assert groups["one/answerable"]["ok_rate"] == 1.0 and groups["all/en"]["ok_rate"] == 0.0
    assert "two/id" not in groups and "two/unanswerable" not in groups


# ----------------------------------------------------------------------------- running


class FakeRetriever:
    def __init__(self, chunks):
        self.index = SimpleNamespace(name="fake", chunks={c.id: c for c in chunks}, manifest={"embedder": "fake"})

    def search(self, query, k):
        order = sorted(
            self.index.chunks.values(), key=lambda c: (-sum(w in c.text.lower() for w in query.lower().split()), c.id)
        )
        return [_passage(c, rank) for rank, c in enumerate(order[:k], 1)]


class FakeAssistant:
    """Answers with the first retrieved chunk; abstains when no word matches. Records histories."""

    def __init__(self, chunks):
        from assistant.config import Settings

        self.settings = Settings(
            llm="extractive", top_k=5, candidates=50, dense_weight=0.9, rerank_model=None, abstain_threshold=0.5
        )
        self._retriever = FakeRetriever(chunks)
        self.histories = []

    def retriever(self, collection=None):
        return self._retriever

    def ask(self, question, *, collection=None, llm=None, k=None, history=None):
        self.histories.append(history)
        if "boom" in question:
            raise RuntimeError("backend down")
        query = " ".join([h[0] for h in history or []] + [question])
        top = self._retriever.search(query, 1)[0].chunk
        if not any(w in top.text.lower() for w in question.lower().split()):
            return Answer("No.", abstained=True, query=query, timings={"retrieve": 0.1, "answer": 0.1, "total": 0.2})
        return Answer(
            f"{top.text} [1]",
            citations=[_citation(1, top, top.text)],
            query=query,
            timings={"retrieve": 0.1, "answer": 0.1, "total": 0.2},
        )


def test_run_sets_asks_turns_in_order_with_history_and_reports_progress(tmp_path):
    rows = [
        {"id": "q1", "question": "theta", "lang": "en", "answerable": True, "gold_quotes": ["Zeta eta theta."]},
        {"id": "u1", "question": "unrelated", "lang": "en", "answerable": False},
        {"id": "x1", "question": "boom", "lang": "en", "answerable": False},
        {
            "id": "c1",
            "lang": "id",
            "turns": [
                {"question": "gamma", "answerable": True, "gold_quotes": ["Beta gamma"]},
                {"question": "delta", "answerable": True, "gold_quotes": ["gamma delta"]},
            ],
        },
    ]
    sets = load_question_sets([_write_set(tmp_path, "fake", rows)])
    fake, calls = FakeAssistant(CHUNKS), []
    run = run_sets(fake, sets, progress=lambda done, total, qid: calls.append((done, total, qid)))
    assert calls[0] == (0, 5, "") and calls[-1] == (5, 5, "c1/2")
    assert fake.histories[3] is None
    assert fake.histories[4][0][0] == "gamma" and fake.histories[4][0][1].startswith("Beta gamma")
    by_id = {r.id: r for r in run.results}
    assert by_id["q1"].verdict == "ok" and by_id["q1"].first_relevant_rank == 1
    assert by_id["u1"].verdict == "ok" and by_id["u1"].abstained
    assert by_id["x1"].verdict == "error" and "backend down" in by_id["x1"].error
    assert by_id["c1/2"].query == "gamma delta"
    summary = run.summary
    assert summary["verdicts"]["error"] == 1 and summary["groups"]["all"]["errors"] == 1
    assert summary["collection"] == "fake" and summary["sets"] == {"fake": {"path": str(sets[0].path), "questions": 5}}
    assert summary["missing_quotes"] == []
    row = run.to_json()["questions"][0]
    assert {"id", "question", "answerable", "retrieved", "answer", "abstained", "citations", "seconds"} <= set(row)
    assert {"chunk_id", "text", "score", "relevant"} <= set(row["retrieved"][0])


# ----------------------------------------------------------------------------- thresholds


def test_parse_threshold_forms_and_errors():
    assert parse_threshold("recall@5=0.9") == Threshold("all", "recall@5", 0.9)
    assert parse_threshold("source/en:MRR@10 = 0.5") == Threshold("source/en", "mrr@10", 0.5)
    for bad in ("recall@5", "recall@7=1", "recall@5=high"):
        with pytest.raises(ValueError):
            parse_threshold(bad)


def test_check_thresholds_reports_each_failure():
    summary = {"groups": {"all": {"recall@5": 0.8, "abstention_f1": None}, "source": {"recall@5": 0.95}}}
    gates = [
        parse_threshold(t)
        for t in ("recall@5=0.85", "source:recall@5=0.9", "abstention_f1=0.5", "readings:recall@5=0.5")
    ]
    failures = check_thresholds(summary, gates)
    assert failures == [
        "recall@5 = 0.8000 < 0.85",
        "abstention_f1: undefined in this run (need >= 0.5)",
        "readings:recall@5: no group 'readings' in this run (need >= 0.5)",
    ]
    assert check_thresholds(summary, gates[1:2]) == []


def test_load_thresholds_from_toml(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('[min]\n"source:recall@5" = 0.9\nquote_validity = 1.0\n', encoding="utf-8")
    assert load_thresholds(path) == [Threshold("source", "recall@5", 0.9), Threshold("all", "quote_validity", 1.0)]
    path.write_text("recall = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[min\]"):
        load_thresholds(path)


def test_project_thresholds_file_parses():
    from tests.helpers import ROOT

    gates = load_thresholds(ROOT / "evals" / "thresholds.toml")
    assert {g.group for g in gates} >= {"source", "readings"}
    assert any(g.metric == "quote_validity" and g.value == 1.0 for g in gates)


# ----------------------------------------------------------------------------- comparison


def _results_json(rows, recall):
    return {
        "summary": {"groups": {"all": {"recall@5": recall, "abstention_f1": None}}},
        "questions": [
            {
                "id": i,
                "set": "s",
                "question": i,
                "verdict": v,
                "first_relevant_rank": r,
                "scores": {"mrr@10": 1 / r if r else 0.0},
                "answer": "",
            }
            for i, v, r in rows
        ],
    }


def test_compare_gives_deltas_and_the_questions_that_got_worse():
    old = _results_json([("a", "ok", 1), ("b", "ok", 1), ("c", "unsupported", 3), ("d", "ok", 1)], 0.8)
    new = _results_json([("a", "ok", 1), ("b", "unsupported", 1), ("c", "ok", 1), ("d", "ok", 2), ("e", "ok", 1)], 0.9)
    comparison = compare(old, new, "old/results.json")
    assert comparison.deltas["all"]["recall@5"] == {"old": 0.8, "new": 0.9, "delta": 0.1}
    assert comparison.deltas["all"]["abstention_f1"]["delta"] is None
    assert [(w["id"], w["old_verdict"], w["new_verdict"]) for w in comparison.worse] == [
        ("b", "ok", "unsupported"),
        ("d", "ok", "ok"),
    ]
    assert comparison.worse[1]["old_rank"] == 1 and comparison.worse[1]["new_rank"] == 2
    assert [b["id"] for b in comparison.better] == ["c"]


def test_load_results_rejects_other_json(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"a": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a results.json"):
        load_results(path)
