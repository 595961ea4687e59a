"""The retrieval benchmark's own index (benchmarks.retrieval.index_corpus) opens in a new data folder and is
reused by the next run: its snapshot records the Chroma store, as a sync's does."""

from __future__ import annotations

import json

from benchmarks.retrieval import index_corpus, open_bench, parse_args


def test_a_benchmark_index_opens_and_is_reused_in_a_new_data_folder(tmp_path, make_settings):
    corpus = tmp_path / "corpus.jsonl"
    passages = [
        {
            "id": "p1",
            "text": "Konvensi Budapest tentang kejahatan siber dibuka untuk ditandatangani pada November 2001.",
        },
        {"id": "p2", "text": "BSSN dibentuk pada tahun 2017 untuk menjaga keamanan siber nasional Indonesia."},
    ]
    corpus.write_text("".join(json.dumps(p) + "\n" for p in passages), encoding="utf-8")
    queries = tmp_path / "queries.jsonl"
    queries.write_text(json.dumps({"id": "q1", "question": "Kapan BSSN dibentuk?", "gold_passage_ids": ["p2"]}) + "\n")
    args = parse_args(["--corpus", str(corpus), "--queries", str(queries), "--data-dir", str(tmp_path / "bench")])
    retriever, build = open_bench(args)  # a StoreError here: the snapshot names another store than the settings
    assert build["embedded"] == 2
    assert retriever.search("Kapan BSSN dibentuk?", 1)[0].chunk.id == "p2"
    _, again = index_corpus(make_settings(data_dir=tmp_path / "bench"), corpus, None, sentences=False)
    assert again.get("reused") is True and again["embedded"] == 0
