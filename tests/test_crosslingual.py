"""Cross-lingual query expansion: the glossary, translate_query, and its use in retrieval."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from types import SimpleNamespace

import pytest

from assistant.retrieval.crosslingual import render_query, translate_query
from assistant.retrieval.retriever import Retriever, open_retriever
from assistant.text.glossary import GLOSSARY_FILE, Glossary, english_stem, glossary, other_language, words
from tests.helpers import KNOWLEDGE

KEYS = json.loads((KNOWLEDGE / ".readings-keys.json").read_text(encoding="utf-8"))


def terms(text: str, language: str) -> list[str]:
    return translate_query(text, language).split(", ")


# --- the glossary file ------------------------------------------------------------------------


def test_glossary_ships_as_package_data_and_has_several_hundred_rows():
    path = resources.files("assistant").joinpath("data", GLOSSARY_FILE)
    assert path.is_file()
    rows = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert all(len(row.split("\t")) == 2 for row in rows)
    assert len(rows) == len(set(rows)) == len(glossary().pairs) >= 500
    indonesian = {i.lower() for i, _ in glossary().pairs}
    for term in (
        "kekuatan lunak",
        "langkah-langkah membangun kepercayaan",
        "pengembangan kapasitas siber",
        "tata kelola internet",
        "interdependensi kompleks",
        "rezim internasional",
        "pilar",
        "tujuan",
        "memandang",
        "kerja sama",
        "negara",
        "kejahatan siber",
        "tim tanggap insiden",
    ):
        assert term in indonesian, term


def test_parse_rejects_a_malformed_line():
    with pytest.raises(ValueError, match="line 2"):
        Glossary.parse("# comment\nnegara state\n")
    assert Glossary.parse("# c\n\nnegara\tstate\nnegara\tcountry\n").pairs == [
        ("negara", "state"),
        ("negara", "country"),
    ]


# --- translate_query ------------------------------------------------------------------------------


def test_other_language():
    assert other_language("id") == "en" and other_language("en") == "id"
    with pytest.raises(ValueError):
        other_language("fr")
    with pytest.raises(ValueError):
        translate_query("soft power", "fr")


def test_english_soft_power_question_yields_kekuatan_lunak():
    assert translate_query("What is soft power as defined by Joseph Nye?", "en").startswith("kekuatan lunak")
    assert "kekuatan lunak" in terms("How do states use SOFT POWER in cyberspace?", "en")


def test_longest_phrase_wins_over_its_words():
    assert translate_query("soft power", "en") == "kekuatan lunak"  # not also "kekuatan", "kekuasaan"
    assert set(terms("power", "en")) == {"kekuatan", "kekuasaan"}
    assert terms("confidence-building measures", "en") == ["langkah-langkah membangun kepercayaan", "CBM"]
    # partly overlapping terms are both kept
    assert terms("kerja sama keamanan siber", "id")[0] == "cybersecurity cooperation"


def test_indonesian_words_match_through_their_stem():
    # "pandangannya" and "kedaulatannya" are not in the glossary; their stems are
    assert "view" in terms("Apa pandangannya tentang norma?", "id")
    assert "sovereignty" in terms("Bagaimana kedaulatannya dijaga?", "id")
    assert "view" in terms("Bagaimana liberalisme memandang diplomasi siber?", "id")
    assert "cyber diplomacy" in terms("Bagaimana liberalisme memandang diplomasi siber?", "id")


def test_reduplication_and_hyphens():
    assert words("Langkah-langkah multi-pemangku negara-negara") == ["langkah", "multi", "pemangku", "negara"]
    for text in ("langkah-langkah membangun kepercayaan", "Langkah membangun kepercayaan"):
        assert "confidence-building measures" in terms(text, "id")
    assert terms("pendekatan multi-pemangku kepentingan", "id") == ["multistakeholder approach"]
    assert "multistakeholder" in terms("forum multi-pemangku kepentingan", "id")


def test_english_plurals_and_inflections():
    assert [english_stem(w) for w in ("pillars", "pillar", "policies", "policy", "viewed", "viewing", "defines")] == [
        "pillar",
        "pillar",
        "polici",
        "polici",
        "view",
        "view",
        "defin",
    ]
    assert "pilar" in terms("What are the pillars?", "en")
    assert "didefinisikan" in terms("How was it defined?", "en")  # exact word
    assert "definisi" in terms("How does Nye define it?", "en")
    assert "norma siber" in terms("Which cyber norm applies?", "en")  # singular of "cyber norms"
    assert "kejahatan siber" in terms("Cybercrime conventions", "en")


def test_whole_words_only():
    assert "negara" not in translate_query("a joint statement", "en")  # "statement" is not "state"
    assert translate_query("a joint statement", "en") == "pernyataan"  # "bersama" (joint) is a stop word
    assert "hukum" not in translate_query("lawful", "en")
    assert translate_query("", "en") == "" and translate_query("Joseph Nye, 1990", "en") == ""


def test_render_query_is_a_rough_word_for_word_rendering():
    rendering = render_query("Apa yang dimaksud dengan pengembangan kapasitas siber?", "id")
    assert "cyber capacity building" in rendering and "yang" not in rendering.split()
    assert render_query("What is soft power according to Joseph Nye?", "en").endswith(
        "kekuatan lunak menurut joseph nye"
    )


# --- retrieval ---------------------------------------------------------------------------------

CAPACITY = "pengembangan-kapasitas-siber-dan-bssn.md"


def _key_rank(passages, name: str) -> int | None:
    key = KEYS[name]["key_passage"]
    return next((i for i, p in enumerate(passages, 1) if p.chunk.source == name and key in p.chunk.text), None)


def test_english_question_finds_the_indonesian_key_passage_only_with_the_expansion(indexed_settings):
    question = KEYS[CAPACITY]["question_en"]  # "What does cyber capacity building mean?"
    on = open_retriever(indexed_settings)
    off = open_retriever(indexed_settings.model_copy(update={"crosslingual": False}))
    assert on.index.languages == {"id", "en"}
    expansion = on.expansion(question)
    assert expansion.language == "en" and expansion.target == "id"
    assert "pengembangan kapasitas siber" in expansion.terms
    assert _key_rank(on.search(question, 5), CAPACITY) is not None
    assert _key_rank(off.search(question, 5), CAPACITY) is None
    assert off.expansion(question) is None


def test_other_language_chunks_score_at_least_their_plain_cosine(indexed_settings):
    question = "What is soft power as defined by Joseph Nye?"
    on = open_retriever(indexed_settings).search(question, 20)
    off = {
        p.chunk.id: p
        for p in open_retriever(indexed_settings.model_copy(update={"crosslingual": False})).search(question, 40)
    }
    for p in on:
        if p.chunk.id in off:
            if p.chunk.metadata["language"] == "en":  # the question's language: its own cosine
                assert p.dense_score == pytest.approx(off[p.chunk.id].dense_score, abs=1e-6)
            else:
                assert p.dense_score >= off[p.chunk.id].dense_score - 1e-6


def test_collections_without_the_other_language_take_the_plain_path(make_settings, tmp_path):
    # no language metadata at all (like the TyDi benchmark collection): never expanded
    bare = Retriever(SimpleNamespace(languages=frozenset()))
    assert bare.expansion("What is soft power?") is None and bare.expansion("Apa itu kekuatan lunak?") is None
    # an Indonesian-only collection: Indonesian questions unchanged, English ones expanded
    folder = tmp_path / "id-only"
    folder.mkdir()
    for name in ("kekuatan-lunak-dalam-diplomasi-siber.md", CAPACITY):
        shutil.copy(KNOWLEDGE / name, folder / name)
    from assistant.index.sync import sync_collection

    settings = make_settings(knowledge_dir=folder, collection="id-only")
    assert not sync_collection(settings).failed
    on = open_retriever(settings)
    off = open_retriever(settings.model_copy(update={"crosslingual": False}))
    assert on.index.languages == {"id"}
    question = "Apa yang dimaksud dengan kekuatan lunak menurut Joseph Nye?"
    assert on.expansion(question) is None
    assert [(p.chunk.id, p.score, p.dense_score, p.bm25_score) for p in on.search(question, 10)] == [
        (p.chunk.id, p.score, p.dense_score, p.bm25_score) for p in off.search(question, 10)
    ]
    assert on.expansion("What is soft power?").target == "id"
