"""A reading folder's own glossary.tsv extends the packaged glossary for that collection."""

from __future__ import annotations

from assistant.index.snapshots import CollectionPaths
from assistant.index.sync import sync_collection
from assistant.retrieval.retriever import open_retriever

REEF_ID = (
    "---\ntitle: Terumbu karang\nlanguage: id\n---\n"
    "Terumbu karang terancam oleh pemutihan karang ketika suhu laut naik terlalu lama. "
    "Pemutihan karang membuat karang kehilangan alga yang memberinya makanan dan warna."
)
FOREST_EN = (
    "---\ntitle: Forests\nlanguage: en\n---\n"
    "Mangrove forests protect coastlines from storms and store large amounts of carbon in their soil."
)
QUESTION = "Why is coral bleaching a threat to coral reefs?"


def _index(make_settings, write, glossary: str | None):
    settings = make_settings(knowledge_dir=write.folder)
    write("terumbu.md", REEF_ID)
    write("forests.md", FOREST_EN)
    if glossary is not None:
        write("glossary.tsv", glossary)
    return settings, sync_collection(settings)


def test_folder_glossary_terms_expand_questions_of_that_collection(make_settings, write):
    settings, report = _index(make_settings, write, None)
    plain = open_retriever(settings).expansion(QUESTION)
    assert plain is None or "terumbu karang" not in plain.terms

    write("glossary.tsv", "# coral reefs\nterumbu karang\tcoral reef\npemutihan karang\tcoral bleaching\n")
    again = sync_collection(settings)
    assert not again.failed and "glossary.tsv" not in again.ignored
    snapshot = CollectionPaths(settings, "knowledge").current_snapshot()
    assert snapshot.manifest["glossary"]["rows"] == 2  # a change to the glossary alone publishes a snapshot
    retriever = open_retriever(settings)
    expansion = retriever.expansion(QUESTION)
    assert expansion and "terumbu karang" in expansion.terms and "pemutihan karang" in expansion.terms
    assert retriever.search(QUESTION, 1)[0].chunk.source == "terumbu.md"


def test_a_malformed_glossary_is_reported_and_the_previous_one_kept(make_settings, write):
    settings, report = _index(make_settings, write, "terumbu karang\tcoral reef\n")
    assert not report.failed
    write("glossary.tsv", "terumbu karang\tcoral reef\npemutihan karang coral bleaching\n")
    broken = sync_collection(settings)
    assert [f["path"] for f in broken.failed] == ["glossary.tsv"]
    assert "line 2" in broken.failed[0]["error"] and "<TAB>" in broken.failed[0]["error"]
    expansion = open_retriever(settings).expansion(QUESTION)
    assert expansion and "terumbu karang" in expansion.terms  # nothing already indexed is lost


def test_removing_the_glossary_falls_back_to_the_packaged_one(make_settings, write):
    settings, _ = _index(make_settings, write, "terumbu karang\tcoral reef\n")
    (write.folder / "glossary.tsv").unlink()
    sync_collection(settings)
    assert CollectionPaths(settings, "knowledge").current_snapshot().manifest["glossary"] is None
    expansion = open_retriever(settings).expansion(QUESTION)
    assert expansion is None or "terumbu karang" not in expansion.terms
