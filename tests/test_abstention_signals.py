"""The abstention signals that need no model: answer types, unknown names and words, glossary coverage."""

from __future__ import annotations

import pytest

from assistant.answering.signals import missing_key, question_names, type_unanswered, unknown_share
from assistant.answering.terms import TermWeights, coverage, term_alternatives
from assistant.text.query import AMOUNT
from assistant.text.tokens import content_tokens

TEXTS = [
    "Badan Siber dan Sandi Negara (BSSN) dibentuk melalui Perpres 53/2017.",
    "The OSCE adopted its first set of confidence-building measures in December 2013.",
    "Kekuatan lunak adalah kemampuan memengaruhi pihak lain melalui daya tarik.",
    "Empat pilar kerangka perilaku negara yang bertanggung jawab.",
]


@pytest.mark.parametrize(
    "text,amount",
    [
        ("dibentuk melalui Perpres 53/2017", False),  # an identifier, not a figure
        ("pada Desember 2013", False),  # a year
        ("salah satu lembaga", False),  # "one of", not a count
        ("Peraturan Presiden Nomor 53 Tahun 2017", False),
        ("empat pilar", True),
        ("sekitar 25 persen", True),
        ("Rp 3,5 triliun", True),
        ("eleven norms", True),
    ],
)
def test_amounts_exclude_years_identifiers_and_one_of(text, amount):
    assert bool(AMOUNT.search(text)) is amount


@pytest.mark.parametrize(
    "question,texts,expected",
    [
        ("Berapa anggaran tahunan BSSN?", TEXTS[0], 1.0),
        ("How many pillars are there?", TEXTS[3], 0.0),
        ("Kapan OSCE mengadopsi CBM pertamanya?", TEXTS[1], 0.0),
        ("Pada tahun berapa BSSN dibentuk?", TEXTS[0], 0.0),  # "tahun berapa" asks for a year: 2017 is there
        ("When was soft power defined?", TEXTS[2], 1.0),
        ("Apa itu kekuatan lunak?", TEXTS[2], 0.0),  # no answer type to check
    ],
)
def test_type_unanswered(question, texts, expected):
    assert type_unanswered(question, texts) == expected


def test_unknown_names_and_words_are_measured_against_the_collection():
    weights = TermWeights(TEXTS)
    assert question_names("What does the Tallinn Manual say about BSSN?") == {"tallinn", "manual", "bssn"}
    assert "what" not in question_names("What is BSSN?")
    assert question_names("When was ID-SIRTII founded?") == {"id", "sirtii"}  # split as the collection's tokens
    assert unknown_share(question_names("Apa tugas BSSN?"), weights) == 0.0
    share = unknown_share(question_names("What does the Tallinn Manual say about BSSN?"), weights)
    assert 0.5 < share < 1.0
    assert unknown_share(content_tokens("resep rendang daging"), weights) == 1.0


def test_glossary_renderings_count_as_coverage_across_languages():
    weights = TermWeights(TEXTS)
    question = "What is soft power?"
    tokens = content_tokens(question)
    text = content_tokens(TEXTS[2])
    assert coverage(tokens, text, weights) == 0.0
    assert coverage(tokens, text, weights, term_alternatives(question)) == 1.0
    # an English term the collection only holds in Indonesian is known through the glossary
    assert unknown_share(tokens, weights) == 1.0
    assert unknown_share(tokens, weights, term_alternatives(question)) == 0.0
    assert missing_key(tokens, text, weights, term_alternatives(question)) == 0.0
    assert missing_key(content_tokens("Berapa anggaran BSSN?"), content_tokens(TEXTS[0]), weights) > 0.5
