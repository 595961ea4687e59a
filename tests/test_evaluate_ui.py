"""Evaluate tab helpers without a browser: chart data, tables worst first, question details."""

from __future__ import annotations

from pathlib import Path

from assistant.ui import evaluate as ui_evaluate

SUMMARY = {
    "sets": {"one": {}, "two": {}},
    "groups": {
        "all": {"recall@5": 0.5, "mrr@10": 0.4, "abstention_f1": None, "n": 3},
        "one": {"recall@5": 1.0, "mrr@10": 0.9, "abstention_f1": None, "n": 2},
        "two": {"recall@5": 0.0, "mrr@10": 0.1, "abstention_f1": 0.5, "n": 1},
    },
}


def _q(qid, verdict, rank=None, answerable=True):
    return {
        "id": qid,
        "set": "one",
        "lang": "id",
        "answerable": answerable,
        "verdict": verdict,
        "question": qid,
        "first_relevant_rank": rank,
        "scores": {"recall@10": 1.0 if rank else 0.0, "mrr@10": 1 / rank if rank else 0},
        "token_f1": None,
        "answer": "A [1]",
        "citations": [{"n": 1, "source": "a.md", "quote": "the quote", "relevant": bool(rank), "quote_valid": True}],
        "retrieved": [{"rank": 1, "relevant": bool(rank), "source": "a.md", "score": 2.0, "text": "passage"}],
    }


def test_chart_frame_has_one_bar_per_defined_metric_and_set():
    frame = ui_evaluate.chart_frame(SUMMARY)
    assert set(frame["set"]) == {"one", "two"}
    assert ("abstention_f1 · two", 0.5) in list(zip(frame["bar"], frame["value"]))
    assert "abstention_f1 · one" not in set(frame["bar"])  # undefined metrics are left out
    assert len(frame) == 5


def test_tables_and_details():
    metrics = ui_evaluate.metric_frame(SUMMARY)
    assert list(metrics.columns[:3]) == ["metric", "all", "one"]
    table = ui_evaluate.question_frame(
        [_q("good", "ok", 1), _q("bad", "should abstain", answerable=False), _q("meh", "unsupported", 4)]
    )
    assert list(table["id"]) == ["bad", "meh", "good"]
    assert table["cited passage"][0] == "[1] a.md: the quote"
    details = ui_evaluate.details_markdown(_q("good", "ok", 1))
    assert "### good · ok" in details and "<mark>the quote</mark>" in details and "✅" in details
    assert ui_evaluate.details_markdown(None).startswith("Pick a question")


def test_available_sets_lists_the_sets_folder(make_settings):
    from tests.helpers import ROOT

    assert make_settings().evals_dir == Path("evals")  # ASSISTANT_EVALS_DIR, relative to the working directory
    names = [
        p.rsplit("/", 1)[-1] for p in ui_evaluate.available_sets(make_settings(evals_dir=ROOT / "evals").evals_dir)
    ]
    assert {"source.jsonl", "readings.jsonl", "conversations.jsonl"} <= set(names)
    assert ui_evaluate.available_sets(ROOT / "no-such-folder") == []
