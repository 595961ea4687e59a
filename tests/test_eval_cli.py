"""`assistant eval` end to end on the real indexed collection, with a small question subset:
the files it writes, the printed table, --compare, --min/--thresholds exit codes, usage errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli.app import app
from assistant.evaluation.relevance import RelevanceJudge
from assistant.evaluation.sets import load_question_sets
from tests.helpers import KNOWLEDGE, ROOT

runner = CliRunner()

SMALL = [
    {
        "id": "t-def",
        "question": "Apa definisi cyber diplomacy?",
        "lang": "id",
        "answerable": True,
        "gold_quotes": ["Cyber diplomacy secara luas digambarkan sebagai penggunaan sarana dan upaya diplomatik"],
        "reference_answer": "Penggunaan sarana dan upaya diplomatik untuk mencapai kepentingan nasional di dunia cyber.",
    },
    {
        "id": "t-goal",
        "question": "What is the ultimate goal of capacity building in cyber diplomacy?",
        "lang": "en",
        "answerable": True,
        "gold_quotes": ["Tujuan akhir dari pengembangan kapasitas cyber diplomacy adalah untuk mengusir serangan"],
    },
    {"id": "t-off", "question": "Bagaimana cara membuat rendang daging sapi?", "lang": "id", "answerable": False},
    {
        "id": "t-conv",
        "lang": "id",
        "turns": [
            {
                "question": "Apa itu cyber diplomacy menurut esai?",
                "answerable": True,
                "gold_quotes": [
                    "Cyber diplomacy secara luas digambarkan sebagai penggunaan sarana dan upaya diplomatik"
                ],
            },
            {
                "question": "Apa saja komponennya?",
                "answerable": True,
                "gold_quotes": [
                    "Pengembangan kapasitas siber, langkah-langkah membangun kepercayaan, dan penciptaan norma siber"
                ],
            },
        ],
    },
]


def _env(settings):
    return {
        "ASSISTANT_DATA_DIR": str(settings.data_dir),
        "ASSISTANT_CACHE_DIR": str(settings.vector_cache_dir),
        "ASSISTANT_KNOWLEDGE_DIR": str(settings.knowledge_dir),
    }


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    path = tmp_path_factory.mktemp("sets") / "small.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in SMALL) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def first_run(indexed_settings, small_set, tmp_path_factory):
    out = tmp_path_factory.mktemp("run1")
    result = runner.invoke(app, ["eval", str(small_set), "--out", str(out), "--json"], env=_env(indexed_settings))
    return result, out


def test_eval_writes_results_and_report(first_run):
    result, out = first_run
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["files"] == {"results": str(out / "results.json"), "report": str(out / "report.md")}
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert saved["summary"] == data["summary"]
    ids = [q["id"] for q in saved["questions"]]
    assert ids == ["t-def", "t-goal", "t-off", "t-conv/1", "t-conv/2"]
    groups = saved["summary"]["groups"]
    assert {"all", "small", "all/id", "all/en", "all/answerable", "all/unanswerable"} <= set(groups)
    assert groups["all"]["n"] == 5 and groups["all"]["unanswerable"] == 1
    assert groups["all"]["quote_validity"] == 1.0
    definition = saved["questions"][0]
    assert definition["first_relevant_rank"] == 1 and definition["verdict"] == "ok"
    assert len(definition["retrieved"]) == 10 and definition["retrieved"][0]["relevant"]
    assert {"chunk_id", "text", "score"} <= set(definition["retrieved"][0])
    assert definition["token_f1"] > 0 and definition["seconds"] > 0
    assert saved["questions"][2]["abstained"] and saved["questions"][2]["verdict"] == "ok"
    assert saved["questions"][4]["query"] != "Apa saja komponennya?"  # the follow-up was resolved with history
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| recall@5 |" in report and "## Questions (worst first)" in report


def test_compare_and_failing_threshold_exit_1(first_run, indexed_settings, small_set, tmp_path):
    _, out = first_run
    old = json.loads((out / "results.json").read_text(encoding="utf-8"))
    old["summary"]["groups"]["all"]["recall@10"] -= 0.25
    old["questions"][0]["scores"]["mrr@10"] = 2.0  # impossible: the new run must be worse here
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(old), encoding="utf-8")
    new = tmp_path / "new"
    result = runner.invoke(
        app,
        [
            "eval",
            str(small_set),
            "--out",
            str(new),
            "--compare",
            str(old_path),
            "--min",
            "recall@10=1.01",
            "--min",
            "small:quote_validity=1",
        ],
        env=_env(indexed_settings),
    )
    assert result.exit_code == 1, result.output
    assert "recall@10" in result.stderr and "< 1.01" in result.stderr and "quote_validity" not in result.stderr
    assert "1 questions got worse" in result.stdout and "t-def" in result.stdout
    report = (new / "report.md").read_text(encoding="utf-8")
    assert f"## Compared with {old_path}" in report and "(+0.250)" in report
    assert "FAILED recall@10" in report
    saved = json.loads((new / "results.json").read_text(encoding="utf-8"))
    assert [w["id"] for w in saved["comparison"]["worse"]] == ["t-def"]
    assert saved["thresholds"]["passed"] is False


def test_passing_thresholds_exit_0_and_print_the_table(indexed_settings, small_set, tmp_path):
    gates = tmp_path / "gates.toml"
    gates.write_text('[min]\n"small:recall@10" = 0.5\nquote_validity = 1.0\n', encoding="utf-8")
    result = runner.invoke(
        app,
        ["eval", str(small_set), "--limit", "1", "--out", str(tmp_path / "o"), "--thresholds", str(gates)],
        env=_env(indexed_settings),
    )
    assert result.exit_code == 0, result.output
    assert "recall@5" in result.stdout and "all thresholds met" in result.stdout
    assert (tmp_path / "o" / "report.md").is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--min", "recall@7=1"], "unknown metric"),
        (["--min", "recall@5"], "METRIC=VALUE"),
        (["--compare", "missing.json"], "cannot read results"),
    ],
)
def test_usage_errors_exit_2(small_set, args, message, tmp_path):
    result = runner.invoke(app, ["eval", str(small_set), "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_broken_set_exits_2(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "?", "lang": "id", "answerable": true}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2 and f"{bad}:1" in result.stderr and "gold_quotes" in result.stderr


def test_every_gold_quote_of_the_project_sets_is_found_in_the_index(indexed_settings):
    from assistant.ingest.loaders import load_document
    from assistant.retrieval.retriever import open_retriever

    chunks = open_retriever(indexed_settings).index.chunks.values()
    judge = RelevanceJudge(chunks)
    for source, text in judge.documents.items():  # the rebuilt texts agree with the cleaned documents
        cleaned = load_document(KNOWLEDGE / source, source).text
        assert " ".join(text.split()) == " ".join(cleaned.split())
    sets = load_question_sets(sorted((ROOT / "evals").glob("*.jsonl")))
    quotes = {q for qs in sets for item in qs.items for q in item.gold_quotes}
    assert judge.missing(quotes) == []
    assert all(judge.relevant_ids(q) for q in quotes)
