"""The reader's training data: questions written about our readings, and glossary-rendered questions."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.models.reader_data import Example, knowledge_examples
from assistant.models.train_reader import rendered_questions

READING = """# Kerja sama

ASEAN menggelar konferensi tingkat menteri pertamanya tentang keamanan siber pada 2016 di Singapura.

Forum itu kemudian diadakan setiap tahun, biasanya bersamaan dengan Singapore International Cyber Week.
"""

SINGAPORE = {  # an answerable question whose answer lies in its evidence sentence
    "reading": "kerja-sama.md",
    "question": "Where was the first ASEAN cyber ministers' meeting?",
    "answerable": True,
    "answer": "di Singapura",
    "evidence": "ASEAN menggelar konferensi tingkat menteri pertamanya tentang keamanan siber pada 2016 di Singapura.",
}


def _write(folder: Path, rows: list[dict]) -> Path:
    (folder / "kerja-sama.md").write_text(READING, encoding="utf-8")
    path = folder / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_written_questions_become_examples_over_the_indexed_chunk(tmp_path):
    rows = [
        SINGAPORE,
        {
            "reading": "kerja-sama.md",
            "question": "Siapa yang memimpin konferensi pertama itu?",
            "answerable": False,
            "evidence": "Forum itu kemudian diadakan setiap tahun, biasanya bersamaan dengan Singapore International "
            "Cyber Week.",
        },
        {  # evidence that the reading does not hold: dropped, not guessed
            "reading": "kerja-sama.md",
            "question": "Kapan forum itu dibubarkan?",
            "answerable": False,
            "evidence": "Forum itu dibubarkan pada 2020.",
        },
    ]
    examples, dropped = knowledge_examples([_write(tmp_path, rows)], tmp_path)
    assert dropped == 1 and len(examples) == 2
    answerable, unanswerable = examples
    ((text, start),) = answerable.answers
    assert text == "di Singapura" and answerable.context[start : start + len(text)] == text
    assert unanswerable.impossible and "Singapore International Cyber Week" in unanswerable.context
    assert answerable.id != unanswerable.id


def test_an_answer_outside_its_evidence_sentence_is_dropped(tmp_path):
    rows = [
        {
            "reading": "kerja-sama.md",
            "question": "How often does the forum meet?",
            "answerable": True,
            "answer": "setiap tahun",
            "evidence": "ASEAN menggelar konferensi tingkat menteri pertamanya tentang keamanan siber pada 2016 di "
            "Singapura.",
        }
    ]
    examples, dropped = knowledge_examples([_write(tmp_path, rows)], tmp_path)
    assert (examples, dropped) == ([], 1)


def test_rendered_questions_replace_a_seeded_share_in_english_words():
    examples = [Example(str(i), "Kapan Universitas Indonesia dibangun?", "konteks", ()) for i in range(200)]
    first, again = rendered_questions(examples, 0.5, 13), rendered_questions(examples, 0.5, 13)
    assert [e.question for e in first] == [e.question for e in again]
    changed = [e for e in first if e.question != "Kapan Universitas Indonesia dibangun?"]
    assert 70 < len(changed) < 130
    assert all(e.question.startswith("when ") and "university" in e.question for e in changed)
    assert rendered_questions(examples, 0.0, 13) == examples


UI = "Universitas Indonesia didirikan pada tahun 1849 di Jakarta. Kampus utamanya kini berada di Depok."


def _squad(path: Path) -> None:
    context = UI
    path.write_text(
        json.dumps(
            [
                {
                    "context": context,
                    "qas": [
                        {
                            "id": f"{path.stem}-1",
                            "question": "Kapan Universitas Indonesia didirikan?",
                            "is_impossible": False,
                            "answers": [{"text": "1849", "answer_start": context.index("1849")}],
                        },
                        {"id": f"{path.stem}-2", "question": "Siapa rektor pertamanya?", "is_impossible": True},
                    ],
                }
            ]
        ),
        encoding="utf-8",
    )


def test_training_starts_from_given_weights_and_resumes_from_its_checkpoint(tmp_path, capsys):
    from assistant.models.reader import CONFIG_FILE, WEIGHTS_DIR, WEIGHTS_FILE
    from assistant.models.train_reader import main

    data = tmp_path / "idk-mrc"
    data.mkdir()
    _squad(data / "train.json")
    _squad(data / "valid.json")
    questions = _write(
        tmp_path,
        [SINGAPORE],
    )
    common = [
        "--data-dir", str(data), "--out", str(tmp_path / "out"), "--work-dir", str(tmp_path / "work"),
        "--init-weights", str(WEIGHTS_DIR), "--knowledge-questions", str(questions), "--knowledge-dir", str(tmp_path),
        "--knowledge-repeat", "2", "--epochs", "2", "--max-batch", "2", "--save-every", "1", "--freeze-layers", "11",
        "--lr", "1e-6",
    ]  # fmt: skip
    main([*common, "--stop-at", "1"])
    first = json.loads((tmp_path / "out" / CONFIG_FILE).read_text())
    assert first["validation"]["step"] == 1 and first["validation"]["examples"] == 4
    main([*common, "--stop-at", "3"])
    assert "resumed from" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / CONFIG_FILE).read_text())["validation"]["step"] == 3
    # one step at lr 1e-6 from the shipped weights: the reader still finds the span they find
    from assistant.models.reader import load_reader

    reader = load_reader(tmp_path / "out")
    (span,) = reader.read("Kapan Universitas Indonesia didirikan?", [UI])
    assert "1849" in span.text
    assert (tmp_path / "out" / WEIGHTS_FILE).stat().st_size == (WEIGHTS_DIR / WEIGHTS_FILE).stat().st_size
