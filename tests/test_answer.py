"""Extractive answers, abstention, follow-ups and the ask/chat CLI, on the real default collection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _answer_helpers import check_contract
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = ROOT / "evals" / "calibration"
SOURCE = "diplomasi-siber-dan-liberalisme.md"


@pytest.fixture(scope="module")
def assistant(indexed_settings):
    from assistant.service import Assistant

    return Assistant(indexed_settings)


def after_short_answer(answer) -> str:
    """The reply after the reader's short-answer lead ("Short answer: … [n]. "), when there is one."""
    text = answer.text
    if answer.short_answer is not None and text.startswith(("Jawaban singkat: ", "Short answer: ")):
        assert answer.short_answer in text.split("]. ", 1)[0]
        text = text.split("]. ", 1)[1]
    return text


def cites(answer, source: str, phrase: str) -> bool:
    return any(c.source == source and phrase in c.text for c in answer.citations)


SOURCE_QUESTIONS = [
    ("Apa definisi cyber diplomacy?", "id", "penggunaan sarana dan upaya diplomatik"),
    ("Apa itu diplomasi siber?", "id", "penggunaan sarana dan upaya diplomatik"),
    ("What is cyber diplomacy?", "en", "penggunaan sarana dan upaya diplomatik"),
    ("Apa saja komponen persenjataan diplomasi siber?", "id", "komponen penting dari persenjataan"),
    ("Apa tujuan akhir pengembangan kapasitas diplomasi siber?", "id", "untuk mengusir serangan"),
    ("What is the ultimate goal of capacity building in cyber diplomacy?", "en", "untuk mengusir serangan"),
    (
        "Sumber mana yang dikutip esai tentang pengembangan sumber daya manusia dan konektivitas internet?",
        "id",
        "(Manantan, 2021)",
    ),
    (
        "Which source does the essay cite about human resource development and internet connectivity?",
        "en",
        "(Manantan, 2021)",
    ),
    ("What are the components of the arsenal of cyber diplomacy?", "en", "komponen penting dari persenjataan"),
]


@pytest.mark.parametrize("question,lang,phrase", SOURCE_QUESTIONS)
def test_source_questions_cite_the_right_paragraph(assistant, question, lang, phrase):
    answer = assistant.ask(question)
    check_contract(answer)
    assert not answer.abstained, answer.text
    assert answer.language == lang
    assert cites(answer, SOURCE, phrase), [c.quote for c in answer.citations]
    assert after_short_answer(answer).startswith("Menurut bacaan" if lang == "id" else "According to the readings")
    assert answer.question == question and answer.query == question
    assert set(answer.timings) == {"retrieve", "answer", "total"}


def test_english_question_quotes_indonesian_verbatim_with_english_framing(assistant):
    answer = assistant.ask("What are the components of the arsenal of cyber diplomacy?")
    check_contract(answer)
    assert after_short_answer(answer).startswith("According to the readings")
    quote = next(c.quote for c in answer.citations if c.source == SOURCE)
    assert f"\u201c{quote}\u201d" in answer.text
    assert all(
        term in quote.lower() for term in ("pengembangan kapasitas siber", "membangun kepercayaan", "norma siber")
    )


def test_english_question_over_indonesian_only_quotes_gets_english_framing(assistant):
    answer = assistant.ask("What is the ultimate goal of capacity building in cyber diplomacy?")
    if {c.source for c in answer.citations} == {SOURCE}:
        assert after_short_answer(answer).startswith("According to the readings (quoted in the original Indonesian):")
    assert cites(answer, SOURCE, "mengusir serangan")


@pytest.mark.parametrize(
    "question,lang",
    [
        ("Bagaimana cara membuat rendang daging sapi?", "id"),
        ("What is the capital of France?", "en"),
        ("Apa ibu kota Australia?", "id"),
        ("Berapa jumlah serangan siber di Indonesia pada tahun 2020?", "id"),
        ("How many cyber attacks did Indonesia suffer in 2020?", "en"),
    ],
)
def test_questions_the_readings_do_not_cover_are_declined(assistant, question, lang):
    answer = assistant.ask(question)
    check_contract(answer)
    assert answer.abstained
    assert answer.language == lang
    assert answer.text.startswith("Bacaan yang tersedia tidak" if lang == "id" else "The readings don't")
    assert len(answer.passages) == 5 and answer.passages[0].rank == 1


def read_set(name: str) -> list[dict]:
    return [json.loads(line) for line in (CALIBRATION / name).read_text().splitlines() if line.strip()]


def test_calibration_sets_answered_and_declined_rates(assistant):
    answerable = read_set("knowledge-answerable.jsonl")
    unanswerable = read_set("knowledge-unanswerable.jsonl")
    answered = []
    for item in answerable:
        answer = assistant.ask(item["question"])
        check_contract(answer)
        answered.append(not answer.abstained)
    declined = []
    for item in unanswerable:
        answer = assistant.ask(item["question"])
        check_contract(answer)
        declined.append(answer.abstained)
    assert sum(answered) / len(answered) >= 0.90, [q["question"] for q, a in zip(answerable, answered) if not a]
    assert sum(declined) / len(declined) >= 0.85, [q["question"] for q, d in zip(unanswerable, declined) if not d]


def test_follow_up_is_resolved_against_the_previous_question(assistant):
    from assistant.answering.conversation import Conversation

    conversation = Conversation(assistant)
    first = conversation.ask("Apa itu diplomasi siber?")
    follow = conversation.ask("Apa saja komponennya?")
    assert not first.abstained and not follow.abstained
    assert follow.query == "Apa itu diplomasi siber? Apa saja komponennya?"
    assert any("pengembangan kapasitas siber" in c.quote.lower() for c in follow.citations), follow.text
    assert len(conversation.history) == 2


def test_stream_yields_text_then_the_answer(assistant):
    from assistant.types import Answer

    items = list(assistant.stream("Apa saja komponen persenjataan diplomasi siber?"))
    assert isinstance(items[-1], Answer)
    assert "".join(i for i in items[:-1]) == items[-1].text


def evidence(assistant, question: str):
    retriever = assistant.retriever()
    return assistant.evidence(question, retriever.search(question, 20), 5, retriever)


def test_a_question_about_the_essay_is_answered_from_the_essay_only(assistant):
    question = "According to the essay, what does cyber diplomacy seek to achieve?"
    plain = evidence(assistant, "What does cyber diplomacy seek to achieve?")
    scoped = evidence(assistant, question)
    assert scoped.scoped and not plain.scoped
    assert {p.chunk.source for p in plain.passages} != {SOURCE}  # the readings compete without the scope
    assert scoped.passages and {p.chunk.source for p in scoped.passages} == {SOURCE}
    assert {s.passage.chunk.source for s in scoped.sentences} == {SOURCE}
    answer = assistant.ask(question)
    assert all(c.source == SOURCE for c in answer.citations)


def test_a_declined_question_about_the_essay_says_the_essay_does_not_answer(assistant):
    from assistant.answering.abstention import abstention

    passages = evidence(assistant, "What does the essay say about the Tallinn Manual?").passages
    answer = abstention("What does the essay say about the Tallinn Manual?", "en", passages, 0.1, scoped=True)
    assert answer.abstained and answer.text.startswith("The source text doesn't answer")
    assert abstention("Apa kata esai?", "id", passages, scoped=True).text.startswith("Teks sumber tidak")


def test_headings_and_questions_in_the_text_are_quoted_only_when_asked_about(assistant):
    def best(question):
        return max(evidence(assistant, question).sentences, key=lambda s: s.relevance).text

    assert best("What is the heading of the last section of the essay?") == (
        "PANDANGAN LIBERALISME DALAM MEMANDANG CYBER DIPLOMACY"
    )
    assert best("What question does the author pose in the very last sentence of the essay?").endswith("?")
    plain = evidence(assistant, "Bagaimana liberalisme memandang cyber diplomacy menurut esai?").sentences
    assert not any(s.text.endswith("?") or s.text.isupper() for s in plain)


def test_retriever_is_cached_per_collection(assistant):
    assert assistant.retriever() is assistant.retriever("knowledge")
    assert assistant.available_llms()[0] == "extractive"


# --- follow-up resolution -----------------------------------------------------------------


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Apa saja komponennya?", True),
        ("why?", True),
        ("Mengapa?", True),
        ("What about its goal?", True),
        ("Apa tujuan akhir pengembangan kapasitas siber menurut esai sumber?", False),
        ("Which regulation established Indonesia's national cyber and crypto agency?", False),
        # short but self-contained: a new topic, not a follow-up of the question before
        ("Apa itu Konvensi Budapest?", False),
        ("What is the OEWG?", False),
        ("Why is cyberspace cooperation described as fragmented?", False),
        # pointing back or continuing, though they name a word of their own
        ("Dan yang ketiga?", True),
        ("Who proposed it?", True),
        ("Tahun berapa?", True),
        ("Bagaimana dengan Indonesia?", True),
    ],
)
def test_is_follow_up(question, expected):
    from assistant.answering.conversation import is_follow_up

    assert is_follow_up(question) is expected


def test_resolve_query_chains_and_uses_a_rewriter_when_given():
    from assistant.answering.conversation import resolve_query

    history = [("Apa itu diplomasi siber?", "..."), ("Apa saja komponennya?", "...")]
    assert resolve_query("Mengapa?", history) == "Apa itu diplomasi siber? Mengapa?"
    assert resolve_query("Apa itu BSSN dan kapan dibentuk?", []) == "Apa itu BSSN dan kapan dibentuk?"
    assert resolve_query("Apa itu Konvensi Budapest?", history[:1]) == "Apa itu Konvensi Budapest?"
    rewritten = resolve_query("why?", history, lambda q, h: "Why is cyber diplomacy needed?\nextra")
    assert rewritten == "Why is cyber diplomacy needed?"

    def broken(question, history):
        raise RuntimeError("model down")

    assert resolve_query("why?", history, broken) == "Apa itu diplomasi siber? why?"


# --- CLI ----------------------------------------------------------------------------------


@pytest.fixture
def cli_env(indexed_settings):
    return {
        "ASSISTANT_DATA_DIR": str(indexed_settings.data_dir),
        "ASSISTANT_CACHE_DIR": str(indexed_settings.cache_dir),
    }


def test_cli_ask_json_follows_the_contract(cli_env):
    from assistant.cli.app import app

    result = CliRunner().invoke(
        app, ["ask", "Apa tujuan akhir pengembangan kapasitas diplomasi siber?", "--json"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("question", "answer", "abstained", "language", "citations", "llm", "seconds", "passages"):
        assert key in data
    assert data["llm"] == "extractive" and data["abstained"] is False and data["language"] == "id"
    for c in data["citations"]:
        assert set(c) >= {"n", "chunk_id", "source", "title", "location", "text", "quote", "start", "end"}
        assert c["quote"] in c["text"] and f"[{c['n']}]" in data["answer"]
    assert any("mengusir serangan" in c["quote"] for c in data["citations"])


@pytest.mark.parametrize(
    "args,message",
    [
        (["ask", "Apa itu diplomasi siber?", "--llm", "gpt9000"], "unknown LLM"),
        (["ask", "Apa itu diplomasi siber?", "--collection", "not-there"], "not indexed"),
    ],
)
def test_cli_ask_usage_errors_exit_2(cli_env, args, message):
    from assistant.cli.app import app

    result = CliRunner().invoke(app, args, env=cli_env)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_chat_reads_follow_ups_in_context(cli_env):
    from assistant.cli.app import app

    result = CliRunner().invoke(app, ["chat"], input="Apa itu diplomasi siber?\nApa saja komponennya?\n\n", env=cli_env)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("Menurut bacaan") == 2
    assert "langkah-langkah membangun kepercayaan" in result.stdout.split("Menurut bacaan")[2]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Apa definisi cyber diplomacy?", "id"),
        ("Apa itu soft power?", "id"),
        ("What is kekuatan lunak?", "en"),
        ("How is cyber diplomacy defined?", "en"),
        ("Bagaimana ASEAN bekerja sama di bidang keamanan siber?", "id"),
    ],
)
def test_language_of_mixed_vocabulary_questions(question, expected):
    from assistant.text.language import detect_language

    assert detect_language(question) == expected
