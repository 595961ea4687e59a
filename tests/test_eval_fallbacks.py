"""`assistant eval` with an LLM that fails on every question: the answers that came from the extractive
fallback are counted and reported (results.json, report.md, the printed table, the Evaluate tab), a
``[max] fallback_rate`` threshold fails the run, and the key the failing upstream echoes is in none
of it. The upstream is the one fake (:class:`_upstream.EchoKeyUpstream`, OpenAI's protocol on 127.0.0.1)."""

from __future__ import annotations

import json

import pytest
from _upstream import EchoKeyUpstream
from typer.testing import CliRunner

from assistant.cli.app import app

runner = CliRunner()
KEY = "sk-eval-upstream-93be1d0c7f2a44e1"
QUESTIONS = [
    {
        "id": "f-def",
        "question": "Apa definisi cyber diplomacy?",
        "lang": "id",
        "answerable": True,
        "gold_quotes": ["Cyber diplomacy secara luas digambarkan sebagai penggunaan sarana dan upaya diplomatik"],
    },
    {
        "id": "f-goal",
        "question": "What is the ultimate goal of capacity building in cyber diplomacy?",
        "lang": "en",
        "answerable": True,
        "gold_quotes": ["Tujuan akhir dari pengembangan kapasitas cyber diplomacy adalah untuk mengusir serangan"],
    },
    {"id": "f-off", "question": "Bagaimana cara membuat rendang daging sapi?", "lang": "id", "answerable": False},
]


@pytest.fixture(scope="module")
def upstream():
    with EchoKeyUpstream() as fake:
        yield fake


@pytest.fixture(scope="module")
def failing_run(indexed_settings, upstream, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fallback-eval")
    questions = folder / "small.jsonl"
    questions.write_text("\n".join(json.dumps(q) for q in QUESTIONS) + "\n", encoding="utf-8")
    gates = folder / "gates.toml"
    gates.write_text("[min]\nquote_validity = 1.0\n\n[max]\nfallback_rate = 0.0\n", encoding="utf-8")
    env = {
        "ASSISTANT_DATA_DIR": str(indexed_settings.data_dir),
        "ASSISTANT_CACHE_DIR": str(indexed_settings.vector_cache_dir),
        "ASSISTANT_KNOWLEDGE_DIR": str(indexed_settings.knowledge_dir),
        "ASSISTANT_OPENAI_BASE_URL": f"http://127.0.0.1:{upstream.port}/v1",
        "ASSISTANT_OPENAI_API_KEY": KEY,
    }
    out = folder / "run"
    args = ["eval", str(questions), "--llm", "openai:broken", "--out", str(out), "--thresholds", str(gates)]
    result = runner.invoke(app, args, env=env)
    return result, out, upstream


def test_fallbacks_are_counted_and_fail_the_threshold(failing_run):
    result, out, upstream = failing_run
    assert result.exit_code == 1, result.output
    assert "fallback_rate = 0.6667 > 0" in result.output
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    summary = data["summary"]
    assert summary["llm"] == "openai:broken"
    answered = [q for q in data["questions"] if not q["abstained"]]
    assert len(upstream.models()) == len(answered) == 2  # the LLM was asked for each answered question
    assert summary["fallbacks"]["count"] == 2 and summary["fallbacks"]["of"] == 3
    assert summary["groups"]["all"]["fallbacks"] == 2 and summary["groups"]["all"]["fallback_rate"] == 0.6667
    assert all(q["fallback"] and q["llm"] == "extractive" for q in answered)
    assert [q["fallback"] for q in data["questions"] if q["abstained"]] == [None]  # the LLM was never asked
    (reason,) = summary["fallbacks"]["reasons"]
    assert "AuthenticationError: Error code: 401" in reason and "[redacted]" in reason
    assert data["thresholds"]["failures"] == ["fallback_rate = 0.6667 > 0"]
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "**2 of 3 answers came from the extractive fallback, not from openai:broken" in report
    assert "2 of 3 answers came from the extractive fallback" in result.output


def test_the_echoed_key_is_in_no_output(failing_run):
    result, out, upstream = failing_run
    assert upstream.requests
    texts = [result.output, (out / "results.json").read_text("utf-8"), (out / "report.md").read_text("utf-8")]
    for text in texts:
        assert KEY not in text and KEY[3:18] not in text


def test_extractive_run_has_no_fallbacks_and_passes_the_ceiling():
    from assistant.evaluation.results import QuestionResult
    from assistant.evaluation.summaries import summarize
    from assistant.evaluation.thresholds import check_thresholds, parse_threshold

    results = [
        QuestionResult(id=f"q{i}", set="s", question="q", lang="en", answerable=True, verdict="ok") for i in range(4)
    ]
    ceiling = parse_threshold("fallback_rate=0", at_most=True)
    summary = summarize(results, ["s"])
    assert summary["fallbacks"] == {"count": 0, "of": 4, "rate": 0.0, "reasons": {}}
    assert check_thresholds(summary, [ceiling]) == []
    results[0].fallback = "TimeoutError: no complete reply within 120 s"
    summary = summarize(results, ["s"])
    assert check_thresholds(summary, [ceiling]) == ["fallback_rate = 0.2500 > 0"]
    assert check_thresholds(summary, [parse_threshold("fallback_rate=0.25", at_most=True)]) == []


def test_evaluate_tab_status_warns_of_fallbacks():
    from assistant.ui.evaluate import _status

    summary = {
        "sets": {"s": {}},
        "llm": "openai:broken",
        "collection": "knowledge",
        "seconds": 1.0,
        "verdicts": {"ok": 3},
        "fallbacks": {"count": 3, "of": 3, "rate": 1.0, "reasons": {"APIConnectionError: <b>down</b>": 3}},
        "groups": {"all": {"n": 3}},
    }
    status = _status({"summary": summary})
    assert status.startswith("⚠️ **3 of 3 answers came from the extractive fallback, not from openai:broken")
    assert "&lt;b&gt;down&lt;/b&gt;" in status and "<b>" not in status
    summary["fallbacks"] = {"count": 0, "of": 3, "rate": 0.0, "reasons": {}}
    assert "fallback" not in _status({"summary": summary})
